package org.securebroker.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code broker completion bash|zsh}: prints the shell completion script of every command and
 * option (picocli's generator). The script is a bash completion; zsh runs it through
 * {@code bashcompinit}, which the script loads itself when it finds it runs in zsh.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print the shell completion script for bash or zsh.",
            "bash: broker completion bash > /etc/bash_completion.d/broker (or source <(broker completion bash) in "
                + "~/.bashrc); zsh: source <(broker completion zsh) in ~/.zshrc."})
final class CompletionCommand implements Callable<Integer> {

    /** The shells the script works in. */
    enum Shell {
        BASH, ZSH
    }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh")
    Shell shell;

    @Override
    public Integer call() {
        // the same script serves both: it runs compinit and bashcompinit itself under zsh
        spec.commandLine().getOut().print(AutoComplete.bash("broker", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
