// relay_from_node: sends one client request to one node over a pooled keep-alive connection and
// relays the node's answer to the client as it arrives (SSE chunk by chunk), within a deadline.
#pragma once

#include <chrono>
#include <string>

#include <Poco/Net/HTTPServerResponse.h>

#include "http/upstream_pool.h"

namespace disaggd::proxy {

/// What is sent to the node.
struct UpstreamRequest {
  std::string method;
  std::string uri;  ///< Path and query.
  std::string body;
  std::string request_id;     ///< Sent as X-Request-Id.
  std::string authorization;  ///< The client's Authorization header; empty: none.
  std::string cluster_token;  ///< Sent as X-Disaggd-Cluster-Token; empty: not sent.
  std::chrono::steady_clock::time_point deadline;
};

/// How one attempt on one node ended.
enum class RelayOutcome {
  kRelayed,          ///< The node's whole answer reached the client.
  kNodeFailedEarly,  ///< Nothing reached the client: safe to try another node.
  kNodeFailedLate,   ///< The node failed mid-answer; the client got part of it.
  kClientGone,       ///< The client went away; the upstream connection was closed.
  kDeadlineEarly,    ///< The deadline passed before the node answered.
  kDeadlineLate,     ///< The deadline passed mid-answer; the client got part of it.
};

/// True when the client got only part of an answer.
bool cut_short(RelayOutcome outcome);

/// True when the node did its part (a client that left or a deadline is not the node's fault
/// unless the node was silent).
bool node_succeeded(RelayOutcome outcome);

/// A node's whole answer, read by fetch_from_node().
struct FetchedAnswer {
  int status = 0;
  std::string body;
};

/// Sends `request` to `node` and reads its whole answer into `fetched` (for the prefill step of
/// DistServe). kRelayed when an answer below 500 arrived complete; kNodeFailedEarly or
/// kDeadlineEarly otherwise (nothing has reached the client either way).
RelayOutcome fetch_from_node(http::UpstreamPool& pool, const std::string& node,
                             const UpstreamRequest& request, FetchedAnswer& fetched);

/// Sends `request` to `node` (base URL) and relays the answer to `response`. Nothing reaches the
/// client before the node answered with a status below 500, so an early failure can be retried
/// elsewhere. A pooled connection that fails before any answer is retried once on a new
/// connection (it may only have gone stale). `node_status` gets the node's HTTP status (0 if
/// none). The connection goes back to `pool` only when the answer was read to the end; in every
/// other case it is closed, which cancels the node's work.
RelayOutcome relay_from_node(http::UpstreamPool& pool, const std::string& node,
                             const UpstreamRequest& request,
                             Poco::Net::HTTPServerResponse& response, int& node_status);

}  // namespace disaggd::proxy
