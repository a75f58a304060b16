package socklab.sys;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Choosing a binding by name: what the CLI's --binding and every experiment go through. */
class BindingTest {

    @Test
    void theThreeNamesEachGiveTheBindingOfThatName() {
        assertEquals(List.of("ffm", "jni", "jnr"), Binding.NAMES);
        for (String name : Binding.NAMES) {
            Binding binding = Binding.byName(name);
            assertEquals(name, binding.name());
            assertEquals(name, binding.toString(), "tests and messages display a binding by its name");
        }
    }

    @Test
    void anUnknownNameIsOneLineListingTheThree() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Binding.byName("panama"));
        assertEquals("unknown binding 'panama': choose one of ffm, jni, jnr", e.getMessage());
    }
}
