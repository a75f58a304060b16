package socklab.idem;

/** What happens to one response after its request committed. */
public enum Fault {
    /** The response is sent. */
    NONE,
    /** The connection is closed without a response: the client cannot know that the comment was stored. */
    DROP,
    /** The response is held back for the plan's delay, past the client's timeout. */
    DELAY
}
