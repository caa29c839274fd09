// Typed wrappers around libcurl's variadic functions, which Swift cannot call
// directly, plus the few macros Swift does not import.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#endif

typedef size_t (*cc_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*cc_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);
typedef int (*cc_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

/* CURLUSESSL_* are enum values up to libcurl 7.x and long #defines from 8.x: Swift sees
   different types, so they are read through these. */
static inline long cc_usessl_none(void) { return (long)CURLUSESSL_NONE; }
static inline long cc_usessl_all(void) { return (long)CURLUSESSL_ALL; }
static inline CURLcode cc_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_data_callback(CURL *h, CURLoption o, cc_data_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_debug_callback(CURL *h, cc_debug_callback v) { return curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, v); }
typedef int (*cc_closesocket_callback)(void *clientp, curl_socket_t item);
static inline CURLcode cc_easy_setopt_closesocket_callback(CURL *h, cc_closesocket_callback v) { return curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, v); }
typedef curl_socket_t (*cc_opensocket_callback)(void *clientp, curlsocktype purpose, struct curl_sockaddr *address);
static inline CURLcode cc_easy_setopt_opensocket_callback(CURL *h, cc_opensocket_callback v) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, v); }
static inline curl_socket_t cc_open_socket(struct curl_sockaddr *address) { return socket(address->family, address->socktype, address->protocol); }
static inline CURLcode cc_easy_setopt_xferinfo_callback(CURL *h, cc_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

static inline CURLcode cc_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode cc_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode cc_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }

typedef int (*cc_socket_callback)(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
typedef int (*cc_timer_callback)(CURLM *multi, long timeout_ms, void *userp);
static inline CURLMcode cc_multi_setopt_socket_callback(CURLM *m, cc_socket_callback f) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f); }
static inline CURLMcode cc_multi_setopt_timer_callback(CURLM *m, cc_timer_callback f) { return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f); }
static const curl_socket_t cc_socket_timeout = CURL_SOCKET_TIMEOUT;

#ifdef __linux__
/* epoll_event is packed on x86-64, which Swift does not import faithfully: wrap it. */
static inline int cc_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
/* Registers or updates fd for `events` (1 = in, 2 = out); adds when not yet added. */
static inline int cc_epoll_watch(int epfd, int fd, int events) {
    struct epoll_event ev;
    ev.events = ((events & 1) ? EPOLLIN : 0) | ((events & 2) ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
    if (errno == ENOENT) return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    return -1;
}
static inline int cc_epoll_unwatch(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }
/* Waits; fills fds[i] and flags[i] (CURL_CSELECT_IN/OUT/ERR) for each ready fd. */
static inline int cc_epoll_wait(int epfd, int *fds, int *flags, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        fds[i] = events[i].data.fd;
        int f = 0;
        if (events[i].events & EPOLLIN) f |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) f |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) f |= CURL_CSELECT_ERR;
        flags[i] = f;
    }
    return n;
}
/* Names the calling thread (as top -H, perf and debuggers show it; 15 bytes at most). */
static inline void cc_set_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
static inline int cc_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline void cc_eventfd_signal(int fd) { uint64_t one = 1; ssize_t r = write(fd, &one, sizeof one); (void)r; }
static inline void cc_eventfd_drain(int fd) { uint64_t value; ssize_t r = read(fd, &value, sizeof value); (void)r; }
#endif

static inline CURLcode cc_msg_result(CURLMsg *msg) { return msg->data.result; }

static const long cc_auth_basic = (long)CURLAUTH_BASIC;
static const long cc_auth_bearer = (long)CURLAUTH_BEARER;
static const long cc_pipe_multiplex = CURLPIPE_MULTIPLEX;
static const long cc_global_all = CURL_GLOBAL_ALL;
static const size_t cc_readfunc_abort = CURL_READFUNC_ABORT;
static inline curl_version_info_data *cc_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

#endif
