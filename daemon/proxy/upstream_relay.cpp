// Sending a request to a node and relaying its answer.
#include "proxy/upstream_relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <istream>
#include <optional>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

namespace disaggd::proxy {
namespace {

using Clock = std::chrono::steady_clock;

/// Time left until `deadline`, at least 1 ms (a zero socket timeout would mean "none").
Poco::Timespan time_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  return Poco::Timespan(std::max<Poco::Timespan::TimeDiff>(left.count(), 1000));
}

void bound_by_deadline(Poco::Net::HTTPClientSession& session, Clock::time_point deadline,
                       std::chrono::milliseconds connect_timeout) {
  const Poco::Timespan left = time_left(deadline);
  const Poco::Timespan connect(
      std::chrono::duration_cast<std::chrono::microseconds>(connect_timeout).count());
  session.setTimeout(std::min(connect, left), left, left);
  if (session.connected()) {
    session.socket().setSendTimeout(left);
    session.socket().setReceiveTimeout(left);
  }
}

bool past(Clock::time_point deadline) {
  return Clock::now() >= deadline;
}

/// Sends the request and reads the node's status line and headers. Throws what Poco throws.
std::istream& send_to_node(Poco::Net::HTTPClientSession& session, const UpstreamRequest& request,
                           std::chrono::milliseconds connect_timeout,
                           Poco::Net::HTTPResponse& answer) {
  bound_by_deadline(session, request.deadline, connect_timeout);
  Poco::Net::HTTPRequest forwarded(request.method, request.uri, Poco::Net::HTTPMessage::HTTP_1_1);
  forwarded.setContentType("application/json");
  forwarded.setContentLength(static_cast<std::streamsize>(request.body.size()));
  forwarded.set("X-Request-Id", request.request_id);
  if (!request.authorization.empty()) {
    forwarded.set("Authorization", request.authorization);
  }
  session.sendRequest(forwarded) << request.body;
  return session.receiveResponse(answer);
}

}  // namespace

bool node_succeeded(RelayOutcome outcome) {
  return outcome == RelayOutcome::kRelayed || outcome == RelayOutcome::kClientGone;
}

RelayOutcome relay_from_node(http::UpstreamPool& pool, const std::string& node,
                             const UpstreamRequest& request,
                             Poco::Net::HTTPServerResponse& response, int& node_status) {
  node_status = 0;
  Poco::Net::HTTPResponse answer;
  std::optional<http::UpstreamLease> connection;
  std::istream* in = nullptr;
  while (in == nullptr) {
    connection = pool.acquire(node, request.deadline);
    if (!connection) {
      spdlog::warn("[{}] no free connection to node {} before the deadline", request.request_id,
                   node);
      return RelayOutcome::kDeadlineEarly;
    }
    try {
      in = &send_to_node(connection->session(), request, pool.connect_timeout(), answer);
    } catch (const std::exception& e) {
      if (past(request.deadline)) {
        spdlog::warn("[{}] node {} did not answer before the deadline", request.request_id, node);
        return RelayOutcome::kDeadlineEarly;
      }
      if (connection->reused()) {
        spdlog::debug("[{}] pooled connection to {} failed ({}); trying a new one",
                      request.request_id, node, e.what());
        pool.drop_idle(node);
        continue;  // the next acquire() opens a new connection
      }
      spdlog::warn("[{}] node {} failed before answering: {}", request.request_id, node, e.what());
      return RelayOutcome::kNodeFailedEarly;
    }
  }
  node_status = static_cast<int>(answer.getStatus());
  if (node_status >= 500) {
    spdlog::warn("[{}] node {} answered {}", request.request_id, node, node_status);
    return RelayOutcome::kNodeFailedEarly;
  }
  response.setStatusAndReason(answer.getStatus());
  response.setContentType(answer.getContentType());
  if (answer.has("Cache-Control")) {
    response.set("Cache-Control", answer.get("Cache-Control"));
  }
  const bool known_length = answer.hasContentLength();
  if (known_length) {
    response.setContentLength64(answer.getContentLength64());
  } else {
    response.setChunkedTransferEncoding(true);
  }
  std::ostream& out = response.send();
  char buffer[16384];
  while (true) {
    std::streamsize n = 0;
    try {
      bound_by_deadline(connection->session(), request.deadline, pool.connect_timeout());
      // Take what has arrived, so SSE events go out as they come.
      in->read(buffer, 1);
      n = in->gcount();
      if (n > 0) {
        n += in->readsome(buffer + 1, sizeof buffer - 1);
      }
    } catch (const std::exception& e) {
      spdlog::warn("[{}] node {} failed mid-answer: {}", request.request_id, node, e.what());
      return past(request.deadline) ? RelayOutcome::kDeadlineLate : RelayOutcome::kNodeFailedLate;
    }
    if (n <= 0) {
      if (!in->eof()) {  // the stream swallowed a socket error or a timeout
        if (past(request.deadline)) {
          spdlog::warn("[{}] deadline passed while node {} was answering", request.request_id,
                       node);
          return RelayOutcome::kDeadlineLate;
        }
        spdlog::warn("[{}] node {} failed mid-answer", request.request_id, node);
        return RelayOutcome::kNodeFailedLate;
      }
      out.flush();
      pool.release(std::move(*connection));
      return RelayOutcome::kRelayed;
    }
    try {
      out.write(buffer, n);
      if (!known_length) {
        out.flush();
      }
    } catch (...) {
      return RelayOutcome::kClientGone;  // dropping the connection cancels the node's work
    }
    if (!out) {
      return RelayOutcome::kClientGone;
    }
  }
}

}  // namespace disaggd::proxy
