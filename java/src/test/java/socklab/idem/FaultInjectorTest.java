package socklab.idem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class FaultInjectorTest {
    private static List<Fault> draws(FaultPlan plan, int n) {
        FaultInjector injector = new FaultInjector(plan);
        List<Fault> faults = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            faults.add(injector.next());
        }
        return faults;
    }

    @Test
    void theSameSeedGivesTheSameFaultsAndAnotherSeedOthers() {
        FaultPlan plan = new FaultPlan(0.2, 0.1, Duration.ofMillis(500), 42);
        assertEquals(draws(plan, 200), draws(plan, 200));
        assertNotEquals(draws(plan, 200), draws(plan.withSeed(43), 200));
    }

    /** 10 000 seeded draws (the same ones on every run): each share within 1 point of its probability (5 sd). */
    @Test
    void sharesFollowTheProbabilitiesAndAreCounted() {
        FaultInjector injector = new FaultInjector(new FaultPlan(0.2, 0.1, Duration.ofMillis(500), 7));
        int n = 10_000;
        int drops = 0;
        int delays = 0;
        for (int i = 0; i < n; i++) {
            switch (injector.next()) {
                case DROP -> drops++;
                case DELAY -> delays++;
                case NONE -> { }
            }
        }
        assertEquals(drops, injector.drops());
        assertEquals(delays, injector.delays());
        assertTrue(Math.abs(drops - 2000) < 200, "drops " + drops);
        assertTrue(Math.abs(delays - 1000) < 150, "delays " + delays);
    }

    @Test
    void noPlanNoFaultsAndCertainFaultsAlways() {
        assertTrue(draws(FaultPlan.NONE, 100).stream().allMatch(f -> f == Fault.NONE));
        assertTrue(draws(new FaultPlan(1, 0, Duration.ZERO, 1), 100).stream().allMatch(f -> f == Fault.DROP));
    }

    @Test
    void badPlansAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FaultPlan(1.5, 0, Duration.ZERO, 1))
                .getMessage().startsWith("--fault-drop is a probability"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FaultPlan(0.6, 0.6, Duration.ofSeconds(1), 1))
                .getMessage().contains("add up to more than 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FaultPlan(0, 0.5, Duration.ZERO, 1))
                .getMessage().contains("--fault-delay-for"));
    }
}
