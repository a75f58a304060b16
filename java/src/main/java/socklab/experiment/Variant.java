package socklab.experiment;

import java.util.ArrayList;
import java.util.List;

import socklab.http.HttpLimits;
import socklab.server.AcceptMode;
import socklab.server.Model;
import socklab.server.ServerConfig;
import socklab.server.Steer;

/**
 * A server configuration as experiments name it: a model, with its accept mode (shared-accept) or
 * steering (reuseport). {@link #all} enumerates them from the server's enums, so a model or mode added
 * there is a variant here at once.
 *
 * @param accept shared-accept only, else null
 * @param steer  reuseport only, else null
 */
public record Variant(Model model, AcceptMode accept, Steer steer) {

    /** Every model, each shared-accept accept mode and each reuseport steering, in enum order. */
    public static List<Variant> all() {
        List<Variant> all = new ArrayList<>();
        for (Model m : Model.values()) {
            switch (m) {
                case SHARED_ACCEPT -> {
                    for (AcceptMode a : AcceptMode.values()) {
                        all.add(new Variant(m, a, null));
                    }
                }
                case REUSEPORT -> {
                    for (Steer s : Steer.values()) {
                        all.add(new Variant(m, null, s));
                    }
                }
                default -> all.add(new Variant(m, null, null));
            }
        }
        return all;
    }

    public static List<String> labels() {
        return all().stream().map(Variant::label).toList();
    }

    public static Variant byLabel(String label) {
        return all().stream().filter(v -> v.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown variant '" + label + "': choose one of "
                        + String.join(", ", labels())));
    }

    /** {@code shared-accept/exclusive}, {@code reuseport/hash}, {@code single}. */
    public String label() {
        return model.cliName() + (accept != null ? "/" + accept.cliName() : steer != null ? "/" + steer.cliName() : "");
    }

    /** True when the model has one worker by definition. */
    public boolean singleWorker() {
        return model == Model.SINGLE;
    }

    /** The server configuration: this variant on port 0 of 127.0.0.1 with {@code workers} and {@code binding}. */
    public ServerConfig config(int workers, String binding, int backlog, HttpLimits limits) {
        ServerConfig c = ServerConfig.of(model).withWorkers(singleWorker() ? 1 : workers).withBinding(binding)
                .withBacklog(backlog).withLimits(limits);
        if (accept != null) {
            c = c.withAccept(accept);
        }
        if (steer != null) {
            c = c.withSteer(steer);
        }
        return c;
    }
}
