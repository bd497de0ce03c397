#ifndef BERTH_CCURL_H
#define BERTH_CCURL_H
#include <curl/curl.h>
#endif
