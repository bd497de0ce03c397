#ifndef BERTH_CCURL_H
#define BERTH_CCURL_H
#include <curl/curl.h>
#include <stddef.h>

// curl_easy_setopt / curl_easy_getinfo are variadic, which Swift cannot call.
// These helpers fix the argument type per call so Swift can.
CURLcode berth_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode berth_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode berth_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode berth_curl_setopt_error_buffer(CURL *handle, char *buffer);
CURLcode berth_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

// A growable byte buffer filled by libcurl's write and header callbacks, so the
// callbacks stay in C and Swift never hands closures across the C boundary.
typedef struct berth_buffer {
    char *data;
    size_t length;
    size_t capacity;
    size_t limit; // 0 = unlimited; beyond it the callback aborts the transfer
} berth_buffer;

void berth_buffer_reset(berth_buffer *buffer);
void berth_buffer_free(berth_buffer *buffer);

// Points CURLOPT_WRITEFUNCTION/WRITEDATA at `body` and CURLOPT_HEADERFUNCTION/
// HEADERDATA at `headers`.
CURLcode berth_curl_collect(CURL *handle, berth_buffer *body, berth_buffer *headers);

#endif
