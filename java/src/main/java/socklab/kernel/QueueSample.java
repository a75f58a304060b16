package socklab.kernel;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One listening socket's queues at one instant of a sampled run.
 *
 * @param elapsedMs    when the dump was taken, in milliseconds since the sampler started (measured, not scheduled)
 * @param label        the worker that owns the socket, as the caller named it, else its owner process, else its inode
 * @param inode        the socket's inode (stable for the socket's life; ss -e prints it as ino:)
 * @param local        the listening address, as ss prints it
 * @param acceptQueue  connections waiting for accept (idiag_rqueue; ss Recv-Q)
 * @param backlog      the socket's backlog (idiag_wqueue; ss Send-Q); the queue is full at backlog + 1
 */
@JsonPropertyOrder({"elapsedMs", "label", "inode", "local", "acceptQueue", "backlog"})
public record QueueSample(double elapsedMs, String label, long inode, String local, long acceptQueue, long backlog) {}
