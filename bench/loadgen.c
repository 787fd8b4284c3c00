/* loadgen: the compiled load client of bench/ (Linux, epoll).
 *
 * The Python load client (load.py) tops out near 20,000 connections a
 * second on one core, which is about what the servers under test manage, so
 * it cannot tell a slow server from a slow client. This one costs a few
 * microseconds of user CPU per connection; the rest is the kernel's.
 * `make bench` builds it with `cc -O2`; bench/ falls back to load.py when
 * there is no C compiler, and says so in the results.
 *
 *   loadgen PORT CONCURRENCY DURATION EXPECT GRACE [RATE]
 *
 * Keeps CONCURRENCY connections to 127.0.0.1:PORT going for DURATION
 * seconds (each connects, reads until the server closes, checks that it got
 * EXPECT bytes, and is replaced at once). With RATE > 0 it starts RATE
 * connections a second instead (a fixed offered rate), never more than
 * CONCURRENCY open at once. After DURATION it starts nothing new and waits
 * at most GRACE seconds for the rest, which then count as hung. It prints
 * one JSON object with the same keys as `load.py loop`.
 *
 * Loopback only; every loop is bounded by the clock.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
#define MAXLAT 4000000

struct conn { double t0; long nbytes; int open; };

static struct conn conns[MAXFD];
static double *lat;
static long nlat, ok, failed, nshort, nrefused, nother, open_now, open_peak;
static int ep;
static struct sockaddr_in addr;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6
         + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

/* Seconds on a CPU and waiting for one (runnable but not running), from
 * /proc/self/schedstat: together they say how busy this client was. */
static void sched_self(double *run, double *wait)
{
    unsigned long long r = 0, w = 0;
    FILE *f = fopen("/proc/self/schedstat", "r");
    if (f) {
        if (fscanf(f, "%llu %llu", &r, &w) != 2) r = w = 0;
        fclose(f);
    }
    *run = r / 1e9;
    *wait = w / 1e9;
}

static void fail(int err)
{
    failed++;
    if (err == ECONNREFUSED) nrefused++; else nother++;
}

static void start_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { fail(errno); return; }
    if (fd >= MAXFD) { close(fd); fail(EMFILE); return; }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        fail(errno);
        close(fd);
        return;
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    conns[fd].t0 = now();
    conns[fd].nbytes = 0;
    conns[fd].open = 1;
    if (++open_now > open_peak) open_peak = open_now;
}

static void finish(int fd, long expect, int err)
{
    if (err) fail(err);
    else if (expect >= 0 && conns[fd].nbytes != expect) { failed++; nshort++; }
    else {
        ok++;
        if (nlat < MAXLAT) lat[nlat++] = now() - conns[fd].t0;
    }
    conns[fd].open = 0;
    open_now--;
    close(fd);  /* also removes it from the epoll set */
}

/* Read what is there; 1 if the connection is finished. */
static int drain(int fd, long expect)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) { conns[fd].nbytes += n; continue; }
        if (n == 0) { finish(fd, expect, 0); return 1; }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno == EINTR) continue;
        finish(fd, expect, errno);
        return 1;
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pick(double p)
{
    long k = (long)(p / 100 * nlat + 0.5) - 1;
    if (k < 0) k = 0;
    if (k > nlat - 1) k = nlat - 1;
    return lat[k];
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: loadgen PORT CONCURRENCY DURATION EXPECT GRACE [RATE]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long conc = atol(argv[2]);
    double duration = atof(argv[3]), grace = atof(argv[5]);
    long expect = atol(argv[4]);
    double rate = argc == 7 ? atof(argv[6]) : 0;
    if (port <= 0 || port > 65535 || conc <= 0 || conc > MAXFD - 100 || duration <= 0
        || duration > 600 || grace < 0 || grace > 600 || rate < 0) {
        fprintf(stderr, "loadgen: argument out of range\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)conc + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)conc + 64 ? rl.rlim_max : (rlim_t)conc + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)conc + 64) {
            fprintf(stderr, "loadgen: open-file limit %ld is below the %ld needed\n",
                    (long)rl.rlim_cur, conc + 64);
            return 3;
        }
    }
    lat = malloc(sizeof(double) * MAXLAT);
    if (!lat) return 4;
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ep = epoll_create1(EPOLL_CLOEXEC);

    double run0, wait0, run1, wait1;
    sched_self(&run0, &wait0);
    double cpu0 = cpu_self(), start = now();
    double stop_at = start + duration, give_up = stop_at + grace;
    long started = 0;
    struct epoll_event evs[1024];
    if (rate <= 0)
        for (long i = 0; i < conc; i++, started++) start_one();
    for (;;) {
        double t = now();
        if (t > give_up || (t >= stop_at && open_now == 0)) break;
        if (t < stop_at) {
            /* closed loop: refill; fixed rate: start what is due */
            long want = rate > 0 ? (long)((t - start) * rate) + 1 : -1;
            while (open_now < conc && (rate <= 0 || started < want)) {
                long before = failed;
                start_one();
                started++;
                if (failed != before) break;  /* e.g. EMFILE: try again next turn */
            }
        }
        int n = epoll_wait(ep, evs, 1024, rate > 0 ? 1 : 50);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (!conns[fd].open) continue;
            if (drain(fd, expect) == 0 && (evs[i].events & (EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                finish(fd, expect, err ? err : EPIPE);
            }
        }
    }
    double wall = now() - start, cpu = cpu_self() - cpu0;
    sched_self(&run1, &wait1);
    long hung = open_now;
    for (int fd = 0; fd < MAXFD; fd++)
        if (conns[fd].open) close(fd);
    qsort(lat, nlat, sizeof(double), cmp);
    double mean = 0;
    for (long i = 0; i < nlat; i++) mean += lat[i];
    printf("{\"mode\": \"loop\", \"client\": \"loadgen\", \"ok\": %ld, \"failed\": %ld, "
           "\"hung\": %ld, \"errors\": {", ok, failed, hung);
    const char *sep = "";
    if (nshort) { printf("\"short\": %ld", nshort); sep = ", "; }
    if (nrefused) { printf("%s\"ECONNREFUSED\": %ld", sep, nrefused); sep = ", "; }
    if (nother) printf("%s\"other\": %ld", sep, nother);
    printf("}, \"wall\": %.6f, \"cpu\": %.6f, \"cpu_util\": %.4f, \"rate\": %.1f, "
           "\"offered_rate\": %.1f, \"started\": %ld, \"open_peak\": %ld, \"sched_run\": %.6f, "
           "\"sched_wait\": %.6f, \"latency\": ",
           wall, cpu, cpu / wall, ok / wall, rate, started, open_peak, run1 - run0, wait1 - wait0);
    if (nlat)
        printf("{\"n\": %ld, \"p50\": %.6f, \"p99\": %.6f, \"max\": %.6f, \"mean\": %.6f}",
               nlat, pick(50), pick(99), lat[nlat - 1], mean / nlat);
    else
        printf("{\"n\": 0}");
    printf("}\n");
    return 0;
}
