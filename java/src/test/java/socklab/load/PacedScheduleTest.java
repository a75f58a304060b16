package socklab.load;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacedScheduleTest {
    private static final long MS = 1_000_000L;

    @Test
    void requestsFallDueEveryIntervalFromTheStart() {
        PacedSchedule s = new PacedSchedule(1000, 2); // one request a millisecond
        long start = 5_000 * MS;
        s.fix(start, start + 10 * MS, start + 20 * MS);
        assertEquals(10, s.inWindow(), "intended times start+10ms … start+19ms");

        s.offer(0);
        assertTrue(s.due(start), "request 0 is due at the start itself");
        assertEquals(start, s.take());
        assertFalse(s.due(start + MS - 1), "request 1 is due 1 ms later");
        assertEquals(start + MS, s.wakeAt());
        assertTrue(s.due(start + 3 * MS));
        assertEquals(start + MS, s.take(), "late requests keep their intended times");
        for (int i = 2; i < 20; i++) {
            s.take();
        }
        assertFalse(s.due(start + 100 * MS), "nothing is scheduled past the window");
        assertEquals(Long.MAX_VALUE, s.wakeAt());
    }

    @Test
    void freeSlotsQueueOnceInArrivalOrder() {
        PacedSchedule s = new PacedSchedule(1000, 3);
        s.fix(0, 0, 10 * MS);
        assertEquals(Long.MAX_VALUE, s.wakeAt(), "no free slot: nothing to wake for");
        s.offer(2);
        s.offer(0);
        s.offer(2);
        assertEquals(2, s.poll());
        assertEquals(0, s.poll());
        assertEquals(-1, s.poll(), "slot 2 was offered twice but queued once");
        s.offer(2);
        assertEquals(2, s.poll(), "and can queue again once taken");
    }
}
