#pragma once
// One answer, everywhere, to "is another attempt worth it?": the HTTP client's retry loop, the S3
// store's, the fetcher and archiver deciding whether a file is pending again or failed, and the
// worker deciding whether a job is queued again. Before this file there were five rules that
// disagreed at the edges (429 for S3, a vendor's expired link for the worker).
#include <curl/curl.h>

#include <exception>

#include "avpost/core/error.hpp"

namespace avpost::net {

// Transport failures worth another attempt (timeouts, resets, refused connections).
bool is_transient(CURLcode code);
// Failures that prove the request never reached the server, so even a create call may be repeated.
bool never_reached_server(CURLcode code);
// HTTP statuses worth another attempt: 408, 429, 500, 502, 503, 504.
bool is_transient_status(long status);

// A failure as thrown. Transient: the network or a server in trouble (a ServiceError of kind
// network or timeout), a signed link that expired (a later attempt asks the vendor for a fresh
// one), an output that could not be written (a full disk, a store away), the operating system, a
// database connection. Permanent: bad usage or input, undecodable media, the vendor's own
// verdict (a failed render, an unknown id, missing credentials, a body it should not send).
bool is_transient(const Error& error);
// The same for a captured failure; an exception that is no avpost Error counts as transient (it
// says nothing about the job), and no failure is not transient.
bool is_transient(const std::exception_ptr& failure);

}  // namespace avpost::net
