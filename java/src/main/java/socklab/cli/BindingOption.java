package socklab.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import socklab.sys.Binding;

/**
 * {@code --binding ffm|jni|jnr}: how a command's system calls reach libc. A picocli mixin, so every
 * command that makes system calls spells the option, its default and its errors the same way:
 * {@code @Mixin BindingOption binding;} then {@code binding.get()}. An unknown name, or a binding whose
 * native part cannot be loaded, is a usage error of one line naming the choices or the fix.
 */
public final class BindingOption {
    @Option(names = "--binding", paramLabel = "ffm|jni|jnr", defaultValue = "ffm", converter = ByName.class,
            description = "How Java reaches libc: ffm (Foreign Function & Memory API, the default), jni or jnr.")
    private Binding binding;

    /** The binding chosen on the command line, or ffm. */
    public Binding get() {
        return binding;
    }

    /** Binding.byName, with its one-line error turned into picocli's usage error. */
    static final class ByName implements ITypeConverter<Binding> {
        @Override
        public Binding convert(String name) {
            try {
                return Binding.byName(name);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
