// The ceiling of libcurl itself, for the transport benchmark to compare against:
// plain C on libcurl's multi interface, CONCURRENCY keep-alive POSTs of the same body
// that wrk sends, easy handles reused, nothing parsed or copied.
//
//   curl-multi-reference URL CONCURRENCY SECONDS   ->  prints "rps=N"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data; (void)user;
    return size * count;
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: curl-multi-reference URL CONCURRENCY SECONDS\n");
        return 2;
    }
    const char *url = argv[1];
    int concurrency = atoi(argv[2]);
    double duration = atof(argv[3]);
    const char *body =
        "{\"personalizations\":[{\"to\":[{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\"}],"
        "\"dynamic_template_data\":{\"first_name\":\"Ada\",\"order_id\":\"A-10023\"}}],"
        "\"from\":{\"email\":\"news@example.com\"},\"subject\":\"Your order has shipped\","
        "\"content\":[{\"type\":\"text/plain\",\"value\":\"Hi Ada, your order is on its way.\"}]}";

    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)concurrency);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Authorization: Bearer SG.perf-anchor-not-a-real-key");
    headers = curl_slist_append(headers, "Expect:");
    for (int i = 0; i < concurrency; i++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_multi_add_handle(multi, easy);
    }
    long completed = 0, failed = 0;
    int running = 0;
    double start = seconds_now();
    while (seconds_now() - start < duration) {
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            if (message->data.result != CURLE_OK) failed++;
            completed++;
            curl_multi_remove_handle(multi, easy);
            curl_multi_add_handle(multi, easy);
        }
        curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double elapsed = seconds_now() - start;
    printf("rps=%.1f completed=%ld failed=%ld\n", (double)completed / elapsed, completed, failed);
    return failed == 0 ? 0 : 1;
}
