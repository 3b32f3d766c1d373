/* bench_hello: a bare libmicrohttpd hello-world, the baseline for the HTTP bench.
 *
 * Same threading model as the server (http/http.c): MHD_USE_EPOLL_INTERNAL_THREAD
 * with suspend/resume allowed and a thread pool of PLAYROUTER_THREADS threads
 * (default 4, as the server), the same connection limit, memory limit and timeout.
 * Every request is answered 200 with a small JSON body shaped like an idle
 * sync-status answer; nothing else is done.
 *
 * Usage: bench_hello [--port N] [--threads N]   (port 0, the default, picks a free one)
 * Prints "listening on http://127.0.0.1:PORT" and runs until SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char BODY[] = "{\"active\":false,\"sync_event\":null}";

/* The one global: set by the SIGTERM/SIGINT handler, read by main. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) { /* first call: headers only */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_data_size) { /* discard any body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *res =
        MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
    if (!res)
        return MHD_NO;
    MHD_add_response_header(res, "Content-Type", "application/json; charset=utf-8");
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return r;
}

static long arg_long(const char *s, long lo, long hi, const char *what)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_hello: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long port = 0;
    long threads = 4;
    const char *env = getenv("PLAYROUTER_THREADS");
    if (env && *env)
        threads = arg_long(env, 1, 256, "PLAYROUTER_THREADS");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = arg_long(argv[++i], 0, 65535, "port");
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = arg_long(argv[++i], 1, 256, "thread count");
        else {
            fprintf(stderr, "usage: bench_hello [--port N] [--threads N]\n");
            return 2;
        }
    }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, 0, NULL, NULL,
        on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, 1024u,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(32 * 1024) /* the server's pool (http/http.c) */,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench_hello: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://127.0.0.1:%u\n", info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop_flag)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
