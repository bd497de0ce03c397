#include "CCurl.h"
#include <stdlib.h>
#include <string.h>

CURLcode berth_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode berth_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode berth_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode berth_curl_setopt_error_buffer(CURL *handle, char *buffer) {
    return curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, buffer);
}

CURLcode berth_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

void berth_buffer_reset(berth_buffer *buffer) {
    buffer->length = 0;
}

void berth_buffer_free(berth_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->length = 0;
    buffer->capacity = 0;
}

static size_t berth_buffer_append(char *ptr, size_t size, size_t nmemb, void *userdata) {
    berth_buffer *buffer = (berth_buffer *)userdata;
    size_t count = size * nmemb;
    size_t needed = buffer->length + count;
    if (buffer->limit != 0 && needed > buffer->limit) {
        return 0; // makes curl fail with CURLE_WRITE_ERROR
    }
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < needed) capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (grown == NULL) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, ptr, count);
    buffer->length = needed;
    return count;
}

CURLcode berth_curl_collect(CURL *handle, berth_buffer *body, berth_buffer *headers) {
    CURLcode rc;
    if ((rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, berth_buffer_append)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(handle, CURLOPT_WRITEDATA, body)) != CURLE_OK) return rc;
    if ((rc = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, berth_buffer_append)) != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_HEADERDATA, headers);
}
