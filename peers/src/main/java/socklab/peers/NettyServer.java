package socklab.peers;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

/**
 * The Netty peer, written as Netty servers usually are: the native epoll transport, Netty's own HTTP
 * codec ({@link HttpServerCodec}) and a handler that writes a {@link FullHttpResponse} and flushes once
 * per read batch ({@code channelReadComplete}), the shape of Netty's entry in the TechEmpower
 * benchmarks. The response has socklab's fields in socklab's order (see {@link CannedResponses}).
 * <ul>
 * <li>{@code boss-workers}: one boss loop accepts on one listening socket and hands each connection to
 * one of N worker loops (Netty's round-robin {@code next()}).</li>
 * <li>{@code reuseport}: N loops, each with its own listening socket bound with
 * {@link EpollChannelOption#SO_REUSEPORT} and serving the connections it accepted.</li>
 * </ul>
 */
final class NettyServer implements AutoCloseable {
    // socklab's spelling of the names (Netty's HttpHeaderNames are lower case), so that the bytes match.
    private static final AsciiString DATE = AsciiString.cached("Date");
    private static final AsciiString X_WORKER = AsciiString.cached("X-Worker");
    private static final AsciiString CONTENT_TYPE = AsciiString.cached("Content-Type");
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
    private static final AsciiString CONNECTION = AsciiString.cached("Connection");
    private static final AsciiString TEXT_PLAIN = AsciiString.cached(CannedResponses.CONTENT_TYPE);

    private final List<EventLoopGroup> groups = new ArrayList<>();
    private final Map<EventExecutor, AsciiString> workerIds = new IdentityHashMap<>();
    private final InetSocketAddress address;

    private NettyServer(String host, int port, boolean reuseport, int workers, int backlog) throws InterruptedException {
        MultiThreadIoEventLoopGroup workerGroup = new MultiThreadIoEventLoopGroup(workers, EpollIoHandler.newFactory());
        groups.add(workerGroup);
        int id = 0;
        for (EventExecutor loop : workerGroup) {
            workerIds.put(loop, AsciiString.cached(Integer.toString(id++)));
        }
        try {
            address = reuseport ? bindPerLoop(host, port, workerGroup, backlog) : bindBoss(host, port, workerGroup, backlog);
        } catch (RuntimeException | InterruptedException e) { // a failed bind: stop the loops already running
            close();
            throw e;
        }
    }

    private InetSocketAddress bindPerLoop(String host, int port, MultiThreadIoEventLoopGroup workerGroup, int backlog)
            throws InterruptedException {
        InetSocketAddress bound = new InetSocketAddress(host, port);
        for (EventExecutor loop : workerGroup) { // one listening socket per loop; its connections stay on it
            EventLoop eventLoop = (EventLoop) loop;
            Channel listener = bootstrap(eventLoop, eventLoop, backlog).option(EpollChannelOption.SO_REUSEPORT, true)
                    .bind(bound).sync().channel();
            bound = (InetSocketAddress) listener.localAddress(); // later sockets take the port the first got
        }
        return bound;
    }

    private InetSocketAddress bindBoss(String host, int port, MultiThreadIoEventLoopGroup workerGroup, int backlog)
            throws InterruptedException {
        MultiThreadIoEventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        groups.add(boss);
        return (InetSocketAddress) bootstrap(boss, workerGroup, backlog).bind(host, port).sync().channel().localAddress();
    }

    /** Starts the server; fails with the reason when Netty's native epoll transport cannot load. */
    static NettyServer start(String host, int port, boolean reuseport, int workers, int backlog) throws InterruptedException {
        Epoll.ensureAvailability(); // an UnsatisfiedLinkError naming the cause
        return new NettyServer(host, port, reuseport, workers, backlog);
    }

    private ServerBootstrap bootstrap(EventLoopGroup acceptor, EventLoopGroup children, int backlog) {
        return new ServerBootstrap().group(acceptor, children)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, backlog)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HelloHandler(workerIds.get(channel.eventLoop())));
                    }
                });
    }

    InetSocketAddress address() {
        return address;
    }

    /** Closes the listeners and connections and stops every loop (no quiet period: nothing to drain). */
    @Override
    public void close() {
        for (EventLoopGroup group : groups) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        }
        for (EventLoopGroup group : groups) {
            group.terminationFuture().syncUninterruptibly();
        }
    }

    /** Answers every request of one connection; responses leave on the flush after each read batch. */
    private static final class HelloHandler extends ChannelInboundHandlerAdapter {
        private static final ByteBuf[] BODIES = new ByteBuf[CannedResponses.Status.values().length];
        private static final HttpResponseStatus[] STATUSES = {
            HttpResponseStatus.OK, HttpResponseStatus.NOT_FOUND, HttpResponseStatus.METHOD_NOT_ALLOWED,
            HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE};

        static {
            for (CannedResponses.Status s : CannedResponses.Status.values()) {
                BODIES[s.ordinal()] = Unpooled.unreleasableBuffer(
                        Unpooled.directBuffer(s.body.length()).writeBytes(s.body.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            }
        }

        private final AsciiString worker;

        HelloHandler(AsciiString worker) {
            this.worker = worker;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    respond(ctx, request);
                }
            } finally {
                ReferenceCountUtil.release(msg); // the codec's content parts: GET has none worth reading
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpRequest request) {
            CannedResponses.Status status = !HttpMethod.GET.equals(request.method()) ? CannedResponses.Status.METHOD_NOT_ALLOWED
                    : request.decoderResult().isFailure() ? CannedResponses.Status.HEAD_TOO_LARGE
                    : "/".equals(request.uri()) ? CannedResponses.Status.OK : CannedResponses.Status.NOT_FOUND;
            boolean keepAlive = (status == CannedResponses.Status.OK || status == CannedResponses.Status.NOT_FOUND)
                    && HttpUtil.isKeepAlive(request);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, STATUSES[status.ordinal()],
                    BODIES[status.ordinal()].duplicate());
            HttpHeaders headers = response.headers();
            headers.set(DATE, CannedResponses.dateValue());
            headers.set(X_WORKER, worker);
            headers.set(CONTENT_TYPE, TEXT_PLAIN);
            headers.setInt(CONTENT_LENGTH, status.body.length());
            switch (CannedResponses.ConnectionField.of(keepAlive, request.protocolVersion().minorVersion())) {
                case CLOSE -> headers.set(CONNECTION, HttpHeaderValues.CLOSE);
                case KEEP_ALIVE -> headers.set(CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                case NONE -> { }
            }
            if (keepAlive) {
                ctx.write(response, ctx.voidPromise());
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset or a malformed stream: nobody to answer
        }
    }
}
