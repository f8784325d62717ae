package org.securebroker.store.commit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.securebroker.store.failure.StoreException;
import org.securebroker.store.commit.GroupCommit.Backlog;
import org.securebroker.store.commit.GroupCommit.Settings;
import org.securebroker.store.io.FaultyFileLayer;
import org.securebroker.store.io.StorageChannel;

/**
 * The group-commit writer on its own: batching, order, completion only after the fsync, bounds,
 * tasks, closing, and fail-stop. Forces are held and failed through a file layer, never timed.
 */
class GroupCommitTest {

    @TempDir
    Path dir;

    private final FaultyFileLayer layer = new FaultyFileLayer();
    private Path file;
    private StorageChannel channel;
    private Notes committer;
    private GroupCommit<Note> writer;

    /** A line to append; its future yields where it was written. */
    static final class Note extends CommitRequest<Long> {
        final String text;
        long position = -1;

        Note(String text) {
            this(text, 1);
        }

        Note(String text, long weight) {
            super(weight);
            this.text = text;
        }

        @Override
        protected Long result() {
            return position;
        }
    }

    /** Appends each round's notes to one file with one write; undoes a write that hit a full disk. */
    class Notes implements Committer<Note> {
        final List<List<String>> rounds = new CopyOnWriteArrayList<>();
        final AtomicInteger emptyRounds = new AtomicInteger();
        final AtomicInteger lastRounds = new AtomicInteger();
        final List<StoreException> told = new CopyOnWriteArrayList<>();
        final AtomicInteger stopped = new AtomicInteger();
        volatile CountDownLatch emptyRound = new CountDownLatch(1);
        long size;

        @Override
        public void commit(List<Note> batch, Round round) throws IOException {
            if (round.last()) {
                lastRounds.incrementAndGet();
            }
            if (batch.isEmpty()) {
                emptyRounds.incrementAndGet();
                emptyRound.countDown();
                return;
            }
            rounds.add(batch.stream().map(n -> n.text).toList());
            StringBuilder text = new StringBuilder();
            long at = size;
            for (Note n : batch) {
                n.position = at + text.length();
                text.append(n.text).append('\n');
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
            try {
                round.write(channel, file, ByteBuffer.wrap(bytes), size);
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("No space left")) {
                    throw e;
                }
                channel.truncate(size);
                round.forget(channel);
                StoreException full = new StoreException(StoreException.Kind.DISK_FULL, "full", e);
                batch.forEach(n -> n.fail(full));
                return;
            }
            size += bytes.length;
        }

        @Override
        public StoreException failure(String doing, Path f, Throwable cause) {
            return new StoreException(StoreException.Kind.FAILED, doing + " " + f + " failed: " + cause.getMessage(), cause);
        }

        @Override
        public void failed(StoreException failure) {
            told.add(failure);
        }

        @Override
        public StoreException closed() {
            return new StoreException(StoreException.Kind.CLOSED, "closed");
        }

        @Override
        public StoreException overloaded(Note request) {
            return new StoreException(StoreException.Kind.OVERLOADED, "overloaded by " + request.text);
        }

        @Override
        public void stopped() {
            stopped.incrementAndGet();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        file = dir.resolve("notes");
        Files.createFile(file);
        channel = layer.open(file, false);
        committer = new Notes();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (writer != null) {
            writer.close();
        }
        channel.close();
    }

    private GroupCommit<Note> start(Settings settings) {
        writer = new GroupCommit<>(settings, committer);
        writer.start();
        return writer;
    }

    private Note submit(String text) {
        Note n = new Note(text);
        writer.submit(n);
        return n;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static Throwable failureOf(Note n) throws Exception {
        try {
            n.future().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError(n.text + " did not fail");
    }

    @Test
    void shouldWriteTheRequestsQueuedDuringARoundTogetherInTheNextRoundWithOneFsync() throws Exception {
        start(Settings.named("test-writer"));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note first = submit("a");
        gate.awaitForcing();
        List<Note> queued = List.of(submit("b"), submit("c"), submit("d"));
        gate.release();

        await(first.future());
        for (Note n : queued) {
            await(n.future());
        }
        assertThat(committer.rounds).containsExactly(List.of("a"), List.of("b", "c", "d"));
        assertThat(layer.forces.get()).as("one fsync per round").isEqualTo(2);
        assertThat(Files.readString(file)).isEqualTo("a\nb\nc\nd\n");
    }

    @Test
    void shouldHandRequestsToTheCommitterInSubmissionOrder() throws Exception {
        start(Settings.named("test-writer"));
        List<Note> notes = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            notes.add(submit("n" + i));
        }
        for (Note n : notes) {
            await(n.future());
        }
        List<String> seen = committer.rounds.stream().flatMap(List::stream).toList();
        assertThat(seen).isEqualTo(notes.stream().map(n -> n.text).toList());
        assertThat(notes).extracting(n -> n.future().join()).isSorted();
    }

    @Test
    void shouldKeepEachSubmittersOrderWhenManySubmitAtOnce() throws Exception {
        start(Settings.named("test-writer"));
        int threads = 4;
        int each = 500;
        List<List<Note>> mine = new ArrayList<>();
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Note> notes = new ArrayList<>();
            mine.add(notes);
            int id = t;
            submitters.add(new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    notes.add(submit(id + ":" + i));
                }
            }));
        }
        submitters.forEach(Thread::start);
        for (Thread s : submitters) {
            s.join();
        }
        for (List<Note> notes : mine) {
            for (Note n : notes) {
                await(n.future());
            }
            assertThat(notes).extracting(n -> n.future().join()).as("positions in submission order").isSorted();
        }
        assertThat(committer.rounds.stream().mapToInt(List::size).sum()).isEqualTo(threads * each);
    }

    @Test
    void shouldCompleteARequestOnlyAfterTheFileItWasWrittenToWasForced() throws Exception {
        start(Settings.named("test-writer"));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note note = submit("a");
        gate.awaitForcing();

        assertThat(layer.writes.get()).as("written").isEqualTo(1);
        assertThat(note.future()).as("not complete while its fsync is in progress").isNotDone();
        gate.release();
        assertThat(await(note.future())).isZero();
        assertThat(layer.forces.get()).isEqualTo(1);
    }

    @Test
    void shouldCompleteOnTheCompletionThreadInRoundOrder() throws Exception {
        start(Settings.named("test-writer").completingOn("test-completions"));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note first = submit("a");
        gate.awaitForcing();
        Note second = submit("b");
        // attached before the release, so it runs where the completion happens
        AtomicReference<String> thread = new AtomicReference<>();
        var observed = second.future().thenAccept(v -> thread.set(Thread.currentThread().getName()));
        gate.release();
        await(observed);
        assertThat(first.future()).isDone();
        assertThat(thread.get()).isEqualTo("test-completions");
    }

    @Test
    void shouldFailStopAfterAFailedFsyncAndNeverWriteAgain() throws Exception {
        start(Settings.named("test-writer"));
        Note before = submit("ok");
        await(before.future());
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        layer.failForce.set(true);
        Note failing = submit("a");
        gate.awaitForcing();
        Note queued = submit("b");
        int writesAtFailure = layer.writes.get();
        gate.release();

        Throwable failure = failureOf(failing);
        assertThat(failure).isInstanceOf(StoreException.class).hasMessageContaining(Round.FSYNC)
                .hasMessageContaining(file.toString()).hasMessageContaining("Input/output error");
        assertThat(failureOf(queued)).as("pending requests fail with the same failure").isSameAs(failure);
        assertThat(writer.failed()).isTrue();
        assertThat(writer.failure()).isSameAs(failure);
        assertThat(committer.told).containsExactly((StoreException) failure);

        layer.failForce.set(false);
        Note later = submit("c");
        assertThat(later.future()).as("refused at once").isCompletedExceptionally();
        assertThat(failureOf(later)).isSameAs(failure);
        writer.close();
        assertThat(layer.writes.get()).as("no write after the failure").isEqualTo(writesAtFailure);
        assertThat(layer.forces.get()).as("the failed fsync is never retried").isEqualTo(2);
        assertThat(committer.rounds).containsExactly(List.of("ok"), List.of("a"));
        assertThat(committer.lastRounds.get()).as("a failed writer runs no last round").isZero();
        assertThat(committer.stopped.get()).isEqualTo(1);
        assertThat(Files.readString(file)).isEqualTo("ok\na\n");
    }

    @Test
    void shouldFailStopAfterAWriteErrorTheCommitterLetsEscape() throws Exception {
        start(Settings.named("test-writer"));
        layer.failWrite.set(true);
        Note note = submit("a");

        assertThat(failureOf(note)).hasMessageContaining(Round.WRITING).hasMessageContaining(file.toString());
        layer.failWrite.set(false);
        assertThat(failureOf(submit("b"))).isSameAs(writer.failure());
        assertThat(layer.forces.get()).as("nothing forced after a failed write").isZero();
    }

    @Test
    void shouldFailOnlyTheRequestsOfAWriteTheCommitterUndid() throws Exception {
        start(Settings.named("test-writer"));
        layer.diskFull.set(true);
        Note full = submit("a");
        assertThat(failureOf(full)).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(((StoreException) e).kind()).isEqualTo(StoreException.Kind.DISK_FULL));
        assertThat(writer.failed()).isFalse();
        assertThat(layer.forces.get()).as("the undone write is not forced").isZero();

        layer.diskFull.set(false);
        assertThat(await(submit("b").future())).isZero();
        assertThat(Files.readString(file)).isEqualTo("b\n");
    }

    @Test
    void shouldFailTheWholeRoundWhenTheCommitterThrows() throws Exception {
        writer = new GroupCommit<>(Settings.named("test-writer"), new Notes() {
            @Override
            public void commit(List<Note> batch, Round round) {
                throw new IllegalStateException("a bug");
            }
        });
        writer.start();
        Note note = submit("a");
        assertThat(failureOf(note)).hasMessageContaining(Round.COMMITTING).hasMessageContaining("a bug");
        assertThat(writer.failed()).isTrue();
    }

    @Test
    void shouldRefuseRequestsBeyondTheQueuedBacklog() throws Exception {
        start(Settings.named("test-writer").maxBacklog(2, Backlog.QUEUED));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note inRound = submit("a");
        gate.awaitForcing();
        Note b = submit("b");
        Note c = submit("c");
        Note refused = submit("d");

        assertThat(failureOf(refused)).hasMessage("overloaded by d");
        gate.release();
        for (Note n : List.of(inRound, b, c)) {
            await(n.future());
        }
        assertThat(await(submit("e").future())).as("room again").isPositive();
    }

    @Test
    void shouldCountTheRoundInProgressInAnUncompletedBacklog() throws Exception {
        start(Settings.named("test-writer").maxBacklog(2, Backlog.UNCOMPLETED));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note inRound = submit("a");
        gate.awaitForcing();
        Note b = submit("b");
        Note refused = submit("c");

        assertThat(failureOf(refused)).hasMessage("overloaded by c");
        Note weightless = new Note("w", 0);
        writer.submit(weightless);
        gate.release();
        for (Note n : List.of(inRound, b, weightless)) {
            await(n.future());
        }
    }

    @Test
    void shouldTakeNoMoreThanTheBatchBoundsInOneRound() throws Exception {
        start(Settings.named("test-writer").maxBatch(3, 2));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note first = submit("a");
        gate.awaitForcing();
        List<Note> queued = new ArrayList<>();
        for (String t : List.of("b", "c", "d", "e")) {
            queued.add(submit(t));
        }
        Note heavy = new Note("heavy", 5);
        writer.submit(heavy);
        queued.add(heavy);
        gate.release();
        await(first.future());
        for (Note n : queued) {
            await(n.future());
        }
        assertThat(committer.rounds).containsExactly(List.of("a"), List.of("b", "c"), List.of("d", "e"),
                List.of("heavy"));
    }

    @Test
    void shouldRunTasksBetweenRoundsInSubmissionOrderAndAfterAFailure() throws Exception {
        start(Settings.named("test-writer"));
        Note a = submit("a");
        CompletableFuture<List<List<String>>> seen = writer.task(() -> {
            assertThat(writer.isWriterThread()).isTrue();
            return List.copyOf(committer.rounds);
        });
        Note b = submit("b");
        await(b.future());
        assertThat(await(seen)).containsExactly(List.of("a"));
        assertThat(a.future()).isDone();

        CompletableFuture<Object> throwing = writer.task(() -> {
            throw new IOException("task failed");
        });
        assertThatThrownBy(() -> await(throwing)).hasCauseInstanceOf(IOException.class);

        layer.failForce.set(true);
        failureOf(submit("c"));
        assertThat(await(writer.task(() -> "still runs"))).isEqualTo("still runs");
    }

    @Test
    void shouldWriteWhatIsQueuedThenALastRoundOnClose() throws Exception {
        start(Settings.named("test-writer"));
        FaultyFileLayer.Gate gate = layer.holdForces(p -> true);
        Note first = submit("a");
        gate.awaitForcing();
        Note queued = submit("b");
        Thread closer = new Thread(writer::close);
        closer.start();
        gate.release();
        closer.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(closer.isAlive()).isFalse();
        assertThat(first.future().join()).isZero();
        assertThat(queued.future().join()).isEqualTo(2);
        assertThat(committer.lastRounds.get()).isEqualTo(1);
        assertThat(committer.stopped.get()).isEqualTo(1);
        assertThat(failureOf(submit("c"))).hasMessage("closed");
        assertThatThrownBy(() -> writer.task(() -> null).join()).isInstanceOf(CompletionException.class)
                .hasMessageContaining("closed");
        writer.close();
        assertThat(committer.stopped.get()).as("closing twice does nothing more").isEqualTo(1);
    }

    @Test
    void shouldLetACompletionCloseTheWriterWithoutWaitingForItself() throws Exception {
        start(Settings.named("test-writer"));
        Note note = new Note("a");
        AtomicReference<String> closedOn = new AtomicReference<>();
        CompletableFuture<Void> closedFromCallback = note.future().thenRun(() -> {
            closedOn.set(Thread.currentThread().getName());
            writer.close();
        });
        writer.submit(note);
        await(closedFromCallback);
        assertThat(closedOn.get()).isEqualTo("test-writer");
        writer.close();
        assertThat(committer.stopped.get()).isEqualTo(1);
    }

    @Test
    void shouldRunAnEmptyRoundWhenIdleForTheIdleInterval() throws Exception {
        start(Settings.named("test-writer").idleRounds(Duration.ofMillis(1)));
        assertThat(committer.emptyRound.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(layer.forces.get()).as("an empty round forces nothing").isZero();
    }

    @Test
    void shouldTakeRequestsArrivingWithinTheLingerTimeIntoOneRound() throws Exception {
        start(Settings.named("test-writer").linger(Duration.ofHours(1)));
        Note a = submit("a");
        Note b = submit("b");
        assertThat(a.future()).as("the writer lingers for more").isNotDone();
        writer.close(); // closing ends the linger
        assertThat(a.future().join()).isZero();
        assertThat(b.future().join()).isEqualTo(2);
        assertThat(committer.rounds).containsExactly(List.of("a", "b"));
    }
}
