// Typed wrappers around libcurl's variadic functions, which Swift cannot call
// directly, plus the few macros Swift does not import.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*cc_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*cc_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);
typedef int (*cc_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode cc_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_data_callback(CURL *h, CURLoption o, cc_data_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode cc_easy_setopt_debug_callback(CURL *h, cc_debug_callback v) { return curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, v); }
static inline CURLcode cc_easy_setopt_xferinfo_callback(CURL *h, cc_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

static inline CURLcode cc_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode cc_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode cc_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

static inline CURLcode cc_msg_result(CURLMsg *msg) { return msg->data.result; }

static const long cc_auth_basic = (long)CURLAUTH_BASIC;
static const long cc_auth_bearer = (long)CURLAUTH_BEARER;
static const long cc_pipe_multiplex = CURLPIPE_MULTIPLEX;
static const long cc_global_all = CURL_GLOBAL_ALL;
static const size_t cc_readfunc_abort = CURL_READFUNC_ABORT;
static inline curl_version_info_data *cc_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

#endif
