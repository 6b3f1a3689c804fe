#pragma once
// Owners for libcurl handles, so each one is released exactly once on every path.
#include <curl/curl.h>

#include <memory>

namespace avpost::net {

struct CurlEasyDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init exactly once per process (thread-safe).
void ensure_curl_global_init();

}  // namespace avpost::net
