// Sending a request to a node and relaying its answer.
#include "proxy/upstream_relay.h"

#include "http/bearer_auth.h"
#include "http/json_response.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <istream>
#include <optional>
#include <sstream>
#include <variant>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace disaggd::proxy {
namespace {

using Clock = std::chrono::steady_clock;

/// How often socket timeouts are brought closer to the deadline while an answer streams.
constexpr auto kRebound = std::chrono::milliseconds(100);

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

/// True when the node has closed the connection (it is readable with nothing left to read).
bool upstream_closed(Poco::Net::HTTPClientSession& session) {
  try {
    Poco::Net::StreamSocket& socket = session.socket();
    return socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ) &&
           socket.available() == 0;
  } catch (const std::exception&) {
    return true;
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
  if (!request.cluster_token.empty()) {
    forwarded.set(http::kClusterTokenHeader, request.cluster_token);
  }
  session.sendRequest(forwarded) << request.body;
  return session.receiveResponse(answer);
}

/// Sends `request` to `node` over a pooled connection (a stale pooled one is replaced once) and
/// reads the status line and headers into `answer`. The body stream, or the outcome that ended
/// the attempt (kDeadlineEarly or kNodeFailedEarly).
std::variant<std::istream*, RelayOutcome> open_answer(
    http::UpstreamPool& pool, const std::string& node, const UpstreamRequest& request,
    Poco::Net::HTTPResponse& answer, std::optional<http::UpstreamLease>& connection) {
  while (true) {
    connection = pool.acquire(node, request.deadline);
    if (!connection) {
      spdlog::warn("[{}] no free connection to node {} before the deadline", request.request_id,
                   node);
      return RelayOutcome::kDeadlineEarly;
    }
    try {
      return &send_to_node(connection->session(), request, pool.connect_timeout(), answer);
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
}

}  // namespace

bool cut_short(RelayOutcome outcome) {
  return outcome == RelayOutcome::kNodeFailedLate || outcome == RelayOutcome::kDeadlineLate;
}

bool node_succeeded(RelayOutcome outcome) {
  return outcome == RelayOutcome::kRelayed || outcome == RelayOutcome::kClientGone;
}

RelayOutcome fetch_from_node(http::UpstreamPool& pool, const std::string& node,
                             const UpstreamRequest& request, FetchedAnswer& fetched) {
  Poco::Net::HTTPResponse answer;
  std::optional<http::UpstreamLease> connection;
  auto opened = open_answer(pool, node, request, answer, connection);
  if (auto* outcome = std::get_if<RelayOutcome>(&opened)) {
    return *outcome;
  }
  fetched.status = static_cast<int>(answer.getStatus());
  if (fetched.status >= 500) {
    spdlog::warn("[{}] node {} answered {}", request.request_id, node, fetched.status);
    return RelayOutcome::kNodeFailedEarly;
  }
  try {
    std::ostringstream body;
    Poco::StreamCopier::copyStream(*std::get<std::istream*>(opened), body);
    fetched.body = body.str();
  } catch (const std::exception& e) {
    spdlog::warn("[{}] node {} failed mid-answer: {}", request.request_id, node, e.what());
    return past(request.deadline) ? RelayOutcome::kDeadlineEarly : RelayOutcome::kNodeFailedEarly;
  }
  if (answer.hasContentLength() &&
      static_cast<int64_t>(fetched.body.size()) < answer.getContentLength64()) {
    return RelayOutcome::kNodeFailedEarly;  // closed before the whole answer
  }
  pool.release(std::move(*connection));
  return RelayOutcome::kRelayed;
}

RelayOutcome relay_from_node(http::UpstreamPool& pool, const std::string& node,
                             const UpstreamRequest& request,
                             Poco::Net::HTTPServerResponse& response, int& node_status) {
  node_status = 0;
  Poco::Net::HTTPResponse answer;
  std::optional<http::UpstreamLease> connection;
  auto opened = open_answer(pool, node, request, answer, connection);
  if (auto* outcome = std::get_if<RelayOutcome>(&opened)) {
    return *outcome;
  }
  std::istream* in = std::get<std::istream*>(opened);
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
  const bool event_stream = answer.getContentType().starts_with("text/event-stream");
  // An answer cut short: SSE clients get an error event; the caller then ends the connection
  // without the last chunk, so no client mistakes the rest for a complete answer.
  auto answer_cut = [&](RelayOutcome outcome, const std::string& why) {
    if (event_stream) {
      const std::string event =
          "data: " +
          http::error_body(
              why, outcome == RelayOutcome::kDeadlineLate ? "timeout" : "server_error", "",
              outcome == RelayOutcome::kDeadlineLate ? "deadline_exceeded" : "node_failed")
              .dump() +
          "\n\n";
      try {
        out << event;
        out.flush();
      } catch (...) {
        // The client may be gone as well.
      }
    }
    return outcome;
  };
  char buffer[16384];
  int64_t relayed = 0;
  auto bound_at = Clock::now();  // send_to_node() bounded the socket by the deadline
  while (true) {
    std::streamsize n = 0;
    try {
      // The socket timeouts were set to the time left when the request was sent; refreshing
      // them costs two system calls, so it is done at most every kRebound (the deadline may be
      // overshot by that much).
      if (Clock::now() - bound_at > kRebound) {
        bound_by_deadline(connection->session(), request.deadline, pool.connect_timeout());
        bound_at = Clock::now();
      }
      // Take what has arrived, so SSE events go out as they come.
      in->read(buffer, 1);
      n = in->gcount();
      if (n > 0) {
        n += in->readsome(buffer + 1, sizeof buffer - 1);
      }
    } catch (const std::exception& e) {
      spdlog::warn("[{}] node {} failed mid-answer: {}", request.request_id, node, e.what());
      return past(request.deadline)
                 ? answer_cut(RelayOutcome::kDeadlineLate, "the request deadline passed mid-answer")
                 : answer_cut(RelayOutcome::kNodeFailedLate, "the node failed mid-answer");
    }
    if (n <= 0) {
      // Poco's body streams end quietly when the node closes the connection early; an answer
      // is whole only if its Content-Length arrived, or, chunked, if the node kept the
      // connection open after the last chunk.
      const bool ended_early = known_length ? relayed < answer.getContentLength64()
                                            : upstream_closed(connection->session());
      if (!in->eof() || ended_early) {  // a socket error, a timeout, or a close mid-answer
        if (past(request.deadline)) {
          spdlog::warn("[{}] deadline passed while node {} was answering", request.request_id,
                       node);
          return answer_cut(RelayOutcome::kDeadlineLate, "the request deadline passed mid-answer");
        }
        spdlog::warn("[{}] node {} failed mid-answer", request.request_id, node);
        return answer_cut(RelayOutcome::kNodeFailedLate, "the node failed mid-answer");
      }
      out.flush();
      pool.release(std::move(*connection));
      return RelayOutcome::kRelayed;
    }
    relayed += n;
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
