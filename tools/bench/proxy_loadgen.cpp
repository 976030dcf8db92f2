// disaggd-loadgen: a closed-loop HTTP/1.1 load generator for the proxy benchmark.
//
//   disaggd-loadgen --url http://127.0.0.1:PORT/v1/completions (--body JSON | --body-file FILE)
//                   [--connections 1] [--duration-s 5] [--warmup-s 1] [--timeout-s 10] [--stream]
//
// One thread, epoll, non-blocking keep-alive connections. Each of the N connections has exactly one
// POST outstanding and sends the next as soon as the previous answer has ended, so N is the number
// of concurrent clients. A request's latency runs from writing its first byte to reading the last
// byte of its answer; connecting is not included (connections are reused). Answers are parsed as
// HTTP/1.1: Content-Length, chunked, or (Connection: close) delimited by the end of the connection.
// With --stream an answer must also be an SSE stream that contains "data: [DONE]".
//
// Prints one JSON line: {"requests", "errors", "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms"}.
// requests and the latencies count the answers completed in the measured window (after the
// warm-up); errors counts failures over the whole run, warm-up included: a non-2xx status, a
// refused, reset or closed connection, an answer that cannot be parsed, a timeout, a client that
// got no answer during the whole measured window (a server that serves only some connections), and
// with --stream an answer without "data: [DONE]". The first few errors are described on stderr.
// Exit status: 0 measured, 1 setup failure (bad URL, unknown host), 64 usage error.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// Command-line settings.
struct Options {
  std::string url;
  std::string body;
  int connections = 1;
  double duration_s = 5.0;
  double warmup_s = 1.0;
  double timeout_s = 10.0;
  bool stream = false;
};

/// The parts of an http:// URL the generator needs.
struct Url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

void usage() {
  std::fprintf(
      stderr,
      "usage: disaggd-loadgen --url http://HOST:PORT/PATH (--body JSON | --body-file FILE)\n"
      "                       [--connections N] [--duration-s S] [--warmup-s S]\n"
      "                       [--timeout-s S] [--stream]\n");
}

/// Splits http://host[:port][/path]; IPv6 hosts in brackets. Empty on anything else.
std::optional<Url> parse_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme)) {
    return std::nullopt;
  }
  text.remove_prefix(kScheme.size());
  Url url;
  const std::size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    url.path = std::string(text.substr(slash));
    text = text.substr(0, slash);
  }
  std::size_t colon = text.rfind(':');
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    url.host = std::string(text.substr(1, close - 1));
    colon = close + 1 < text.size() && text[close + 1] == ':' ? close + 1 : std::string_view::npos;
  } else {
    url.host = std::string(text.substr(0, colon));
  }
  if (colon != std::string_view::npos) {
    url.port = std::string(text.substr(colon + 1));
  }
  if (url.host.empty() || url.port.empty()) {
    return std::nullopt;
  }
  return url;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

/// Parses the command line into `options`; false (after a message) on a usage error.
bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--stream") {
      options.stream = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "disaggd-loadgen: %s needs a value\n", flag.c_str());
      return false;
    }
    const std::string value = argv[++i];
    if (flag == "--url") {
      options.url = value;
    } else if (flag == "--body") {
      options.body = value;
    } else if (flag == "--body-file") {
      if (!read_file(value, options.body)) {
        std::fprintf(stderr, "disaggd-loadgen: cannot read %s\n", value.c_str());
        return false;
      }
    } else if (flag == "--connections") {
      options.connections = std::atoi(value.c_str());
    } else if (flag == "--duration-s") {
      options.duration_s = std::atof(value.c_str());
    } else if (flag == "--warmup-s") {
      options.warmup_s = std::atof(value.c_str());
    } else if (flag == "--timeout-s") {
      options.timeout_s = std::atof(value.c_str());
    } else {
      std::fprintf(stderr, "disaggd-loadgen: unknown option %s\n", flag.c_str());
      return false;
    }
  }
  const bool valid = !options.url.empty() && !options.body.empty() && options.connections > 0 &&
                     options.duration_s > 0 && options.warmup_s >= 0 && options.timeout_s > 0;
  if (!valid) {
    usage();
  }
  return valid;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

/// An incremental parser of one HTTP/1.1 response at a time (status line, headers, and a body
/// delimited by Content-Length, chunked transfer coding, or the end of the connection).
class ResponseParser {
 public:
  /// What a call to feed() found.
  enum class Progress { kNeedMore, kComplete, kError };

  /// Prepares for the next response; `keep_body` keeps the (de-chunked) body for body().
  void reset(bool keep_body) {
    stage_ = Stage::kHead;
    keep_body_ = keep_body;
    head_.clear();
    line_.clear();
    body_.clear();
    status_ = 0;
    remaining_ = 0;
    keep_alive_ = true;
    error_.clear();
  }

  /// Consumes bytes of `data` (sets `used` to how many) until the response ends or data runs out.
  Progress feed(std::string_view data, std::size_t& used) {
    used = 0;
    while (used < data.size() || stage_ == Stage::kDone) {
      const Progress progress = step(data, used);
      if (progress != Progress::kNeedMore) {
        return progress;
      }
    }
    return Progress::kNeedMore;
  }

  /// The peer closed the connection: completes a body delimited by the connection's end.
  Progress end_of_stream() {
    if (stage_ == Stage::kUntilClose) {
      return Progress::kComplete;
    }
    return fail("connection closed before the end of the answer");
  }

  int status() const { return status_; }
  /// False when the server will close the connection after this answer.
  bool keep_alive() const { return keep_alive_; }
  const std::string& body() const { return body_; }
  const std::string& error() const { return error_; }

 private:
  enum class Stage {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailer,
    kUntilClose,
    kDone
  };

  Progress fail(std::string message) {
    error_ = std::move(message);
    return Progress::kError;
  }

  /// One stage's worth of parsing from data[used...].
  Progress step(std::string_view data, std::size_t& used) {
    switch (stage_) {
      case Stage::kHead:
        return read_head(data, used);
      case Stage::kFixedBody:
      case Stage::kChunkData:
        return read_body_bytes(data, used);
      case Stage::kChunkSize:
      case Stage::kChunkEnd:
      case Stage::kTrailer:
        return read_chunk_line(data, used);
      case Stage::kUntilClose:
        append_body(data.substr(used));
        used = data.size();
        return Progress::kNeedMore;
      case Stage::kDone:
        return Progress::kComplete;
    }
    return fail("parser in an unknown state");
  }

  void append_body(std::string_view bytes) {
    if (keep_body_) {
      body_.append(bytes);
    }
  }

  Progress read_head(std::string_view data, std::size_t& used) {
    const std::size_t before = head_.size();
    head_.append(data.substr(used));
    const std::size_t from = before >= 3 ? before - 3 : 0;
    const std::size_t end = head_.find("\r\n\r\n", from);
    if (end == std::string::npos) {
      used = data.size();
      return head_.size() > 65536 ? fail("response head longer than 64 KiB") : Progress::kNeedMore;
    }
    used += end + 4 - before;
    head_.resize(end + 2);
    return parse_head();
  }

  /// Status line and the headers that delimit the body.
  Progress parse_head() {
    std::string_view head = head_;
    const std::size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
      return fail("not an HTTP/1.x status line: " + std::string(status_line.substr(0, 80)));
    }
    status_ = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    keep_alive_ = status_line.starts_with("HTTP/1.1");
    std::optional<std::size_t> length;
    bool chunked = false;
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
      const std::size_t end = head.find("\r\n");
      const std::string_view line = head.substr(0, end);
      head.remove_prefix(end + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "Content-Length")) {
        length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      } else if (iequals(name, "Transfer-Encoding")) {
        chunked = icontains(value, "chunked");
      } else if (iequals(name, "Connection")) {
        keep_alive_ = icontains(value, "keep-alive") || (keep_alive_ && !icontains(value, "close"));
      }
    }
    if (status_ < 200 || status_ == 204 || status_ == 304) {
      stage_ = Stage::kDone;  // no body (a 1xx is answered by the next head; never sent to us)
    } else if (chunked) {
      stage_ = Stage::kChunkSize;
    } else if (length) {
      remaining_ = *length;
      stage_ = remaining_ == 0 ? Stage::kDone : Stage::kFixedBody;
    } else {
      keep_alive_ = false;
      stage_ = Stage::kUntilClose;
    }
    return stage_ == Stage::kDone ? Progress::kComplete : Progress::kNeedMore;
  }

  /// Bytes of a Content-Length body or of one chunk's data.
  Progress read_body_bytes(std::string_view data, std::size_t& used) {
    const std::size_t take = std::min(remaining_, data.size() - used);
    append_body(data.substr(used, take));
    used += take;
    remaining_ -= take;
    if (remaining_ == 0) {
      stage_ = stage_ == Stage::kFixedBody ? Stage::kDone : Stage::kChunkEnd;
    }
    return stage_ == Stage::kDone ? Progress::kComplete : Progress::kNeedMore;
  }

  /// A chunk-size line, the CRLF after a chunk's data, or a trailer line.
  Progress read_chunk_line(std::string_view data, std::size_t& used) {
    const std::size_t newline = data.find('\n', used);
    const std::size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
    line_.append(data.substr(used, end - used));
    used = end;
    if (newline == std::string_view::npos) {
      return line_.size() > 4096 ? fail("chunk line longer than 4 KiB") : Progress::kNeedMore;
    }
    const std::string_view line = trim(std::string_view(line_).substr(0, line_.size() - 1));
    Progress progress = Progress::kNeedMore;
    if (stage_ == Stage::kChunkSize) {
      progress = start_chunk(line);
    } else if (stage_ == Stage::kChunkEnd) {
      progress = line.empty() ? Progress::kNeedMore : fail("chunk data longer than its size");
      stage_ = Stage::kChunkSize;
    } else if (line.empty()) {
      stage_ = Stage::kDone;  // the empty line after the (usually absent) trailers
      progress = Progress::kComplete;
    }
    line_.clear();
    return progress;
  }

  Progress start_chunk(std::string_view line) {
    const std::string size_text(line.substr(0, line.find(';')));
    char* end = nullptr;
    const unsigned long long size = std::strtoull(size_text.c_str(), &end, 16);
    if (size_text.empty() || end != size_text.c_str() + size_text.size()) {
      return fail("bad chunk size line: " + std::string(line.substr(0, 40)));
    }
    remaining_ = size;
    stage_ = size == 0 ? Stage::kTrailer : Stage::kChunkData;
    return Progress::kNeedMore;
  }

  Stage stage_ = Stage::kHead;
  bool keep_body_ = false;
  std::string head_;
  std::string line_;
  std::string body_;
  int status_ = 0;
  std::size_t remaining_ = 0;
  bool keep_alive_ = true;
  std::string error_;
};

/// One client: a connection with at most one request outstanding.
struct Connection {
  int fd = -1;
  bool connecting = false;
  bool in_flight = false;
  std::size_t written = 0;     ///< Bytes of the request already sent.
  std::uint32_t watching = 0;  ///< The epoll events registered for fd.
  Clock::time_point started;   ///< When the request (or the connection attempt) began.
  Clock::time_point retry_at;  ///< When closed after an error: when to connect again.
  ResponseParser parser;
};

/// The closed loop: N connections, the results of the measured window.
class LoadGenerator {
 public:
  LoadGenerator(Options options, Url url, addrinfo* address)
      : options_(std::move(options)), url_(std::move(url)), address_(address) {
    const bool ipv6 = url_.host.find(':') != std::string::npos;
    const std::string host = ipv6 ? "[" + url_.host + "]" : url_.host;
    request_ = "POST " + url_.path + " HTTP/1.1\r\nHost: " + host + ":" + url_.port +
               "\r\nContent-Type: application/json\r\n" +
               (options_.stream ? "Accept: text/event-stream\r\n" : "") +
               "Content-Length: " + std::to_string(options_.body.size()) + "\r\n\r\n" +
               options_.body;
    connections_.resize(static_cast<std::size_t>(options_.connections));
  }

  ~LoadGenerator() {
    for (Connection& c : connections_) {
      close_connection(c);
    }
    if (epoll_ >= 0) {
      ::close(epoll_);
    }
  }

  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  /// Runs the warm-up and the measured window; false when epoll cannot be set up.
  bool run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      std::perror("disaggd-loadgen: epoll_create1");
      return false;
    }
    const Clock::time_point begin = Clock::now();
    measure_from_ = begin + to_duration(options_.warmup_s);
    measure_to_ = measure_from_ + to_duration(options_.duration_s);
    for (Connection& c : connections_) {
      open_connection(c);
    }
    std::vector<epoll_event> events(connections_.size());
    Clock::time_point next_check = begin;
    while (Clock::now() < measure_to_) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 5);
      for (int i = 0; i < n; ++i) {
        on_event(connections_[events[static_cast<std::size_t>(i)].data.u32],
                 events[static_cast<std::size_t>(i)].events);
      }
      if (Clock::now() >= next_check) {
        check_timeouts_and_retries();
        next_check = Clock::now() + std::chrono::milliseconds(5);
      }
    }
    count_stalled();
    return true;
  }

  /// The JSON result line.
  std::string report() {
    const double seconds = options_.duration_s;
    std::sort(latencies_ms_.begin(), latencies_ms_.end());
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"requests\": %zu, \"errors\": %zu, \"rps\": %.1f, \"p50_ms\": %.4f, "
                  "\"p90_ms\": %.4f, \"p99_ms\": %.4f, \"max_ms\": %.4f}",
                  latencies_ms_.size(), errors_,
                  static_cast<double>(latencies_ms_.size()) / seconds, percentile(0.50),
                  percentile(0.90), percentile(0.99),
                  latencies_ms_.empty() ? 0.0 : latencies_ms_.back());
    return line;
  }

 private:
  static Clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  /// Nearest-rank percentile of the sorted latencies.
  double percentile(double q) const {
    if (latencies_ms_.empty()) {
      return 0.0;
    }
    const double rank = q * static_cast<double>(latencies_ms_.size());
    std::size_t index = static_cast<std::size_t>(rank);
    if (static_cast<double>(index) < rank) {
      ++index;
    }
    index = std::clamp<std::size_t>(index, 1, latencies_ms_.size()) - 1;
    return latencies_ms_[index];
  }

  std::uint32_t index_of(const Connection& c) const {
    return static_cast<std::uint32_t>(&c - connections_.data());
  }

  /// Registers interest in `events` (EPOLLIN or EPOLLOUT); no system call when unchanged.
  void watch(Connection& c, std::uint32_t events) {
    if (c.watching == events) {
      return;
    }
    const int op = c.watching == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    c.watching = events;
    epoll_event event{};
    event.events = events;
    event.data.u32 = index_of(c);
    if (epoll_ctl(epoll_, op, c.fd, &event) != 0) {
      fail(c, std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }

  void open_connection(Connection& c) {
    c.fd = ::socket(address_->ai_family, address_->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address_->ai_protocol);
    if (c.fd < 0) {
      fail(c, std::string("socket: ") + std::strerror(errno));
      return;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(c.fd, address_->ai_addr, address_->ai_addrlen) != 0 && errno != EINPROGRESS) {
      fail(c, std::string("connect: ") + std::strerror(errno));
      return;
    }
    c.connecting = true;
    c.started = Clock::now();
    watch(c, EPOLLOUT);
  }

  void close_connection(Connection& c) {
    if (c.fd >= 0) {
      ::close(c.fd);  // also removes it from the epoll set
    }
    c.fd = -1;
    c.watching = 0;
    c.connecting = false;
    c.in_flight = false;
  }

  /// Counts an error, closes the connection, and connects again a little later.
  void fail(Connection& c, const std::string& why) {
    ++errors_;
    if (errors_ <= 5) {
      std::fprintf(stderr, "disaggd-loadgen: error: %s\n", why.c_str());
    }
    close_connection(c);
    c.retry_at = Clock::now() + std::chrono::milliseconds(10);
  }

  void check_timeouts_and_retries() {
    const Clock::time_point now = Clock::now();
    for (Connection& c : connections_) {
      if (c.fd < 0 && now >= c.retry_at) {
        open_connection(c);
      } else if (c.in_flight && now - c.started > to_duration(options_.timeout_s)) {
        fail(c, "no complete answer within the timeout");
      }
    }
  }

  /// A client starved for the whole measured window (never connected, or its request still
  /// unanswered since before the window began) is an error even within the timeout: otherwise a
  /// server that serves only some of its connections would look error-free.
  void count_stalled() {
    for (Connection& c : connections_) {
      if (c.fd >= 0 && (c.connecting || c.in_flight) && c.started < measure_from_) {
        fail(c, c.connecting ? "still connecting at the end" : "still unanswered at the end");
      }
    }
  }

  void on_event(Connection& c, std::uint32_t events) {
    if (c.fd < 0) {
      return;
    }
    if (c.connecting) {
      on_connected(c, events);
    } else if (events & EPOLLOUT) {
      send_some(c);
    } else {
      receive(c);  // EPOLLIN, and EPOLLERR / EPOLLHUP, which read() reports
    }
  }

  void on_connected(Connection& c, std::uint32_t events) {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
      error = errno;
    }
    if (error != 0 || (events & EPOLLERR)) {
      return fail(c, std::string("connect: ") + std::strerror(error != 0 ? error : EIO));
    }
    c.connecting = false;
    start_request(c);
  }

  void start_request(Connection& c) {
    c.in_flight = true;
    c.written = 0;
    c.parser.reset(options_.stream);
    c.started = Clock::now();
    send_some(c);
  }

  /// Writes what the socket takes; waits for EPOLLIN once the whole request is out.
  void send_some(Connection& c) {
    while (c.written < request_.size()) {
      const ssize_t n =
          ::send(c.fd, request_.data() + c.written, request_.size() - c.written, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) {
        return watch(c, EPOLLOUT);
      }
      if (n < 0) {
        return fail(c, std::string("send: ") + std::strerror(errno));
      }
      c.written += static_cast<std::size_t>(n);
    }
    watch(c, EPOLLIN);
  }

  /// One read() per readiness event (level-triggered: epoll reports again while data remains).
  void receive(Connection& c) {
    const ssize_t n = ::read(c.fd, buffer_, sizeof buffer_);
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    if (n < 0) {
      return fail(c, std::string("read: ") + std::strerror(errno));
    }
    if (n == 0) {
      const bool complete =
          c.in_flight && c.parser.end_of_stream() == ResponseParser::Progress::kComplete;
      if (!complete) {
        return fail(c, c.in_flight ? c.parser.error() : "connection closed by the server");
      }
      finish_request(c, /*reuse=*/false);
      return;
    }
    std::size_t used = 0;
    const auto progress =
        c.parser.feed(std::string_view(buffer_, static_cast<std::size_t>(n)), used);
    if (progress == ResponseParser::Progress::kError) {
      return fail(c, c.parser.error());
    }
    if (progress == ResponseParser::Progress::kComplete) {
      if (used != static_cast<std::size_t>(n)) {
        return fail(c, "bytes after the end of the answer");
      }
      finish_request(c, c.parser.keep_alive());
    }
  }

  /// Records a completed answer, then sends the next request (on a new connection if needed).
  void finish_request(Connection& c, bool reuse) {
    const Clock::time_point now = Clock::now();
    c.in_flight = false;
    const int status = c.parser.status();
    if (status < 200 || status >= 300) {
      return fail(c, "HTTP status " + std::to_string(status));
    }
    if (options_.stream && c.parser.body().find("data: [DONE]") == std::string::npos) {
      return fail(c, "stream without data: [DONE]");
    }
    if (now >= measure_from_ && now <= measure_to_) {
      latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - c.started).count());
    }
    if (!reuse) {
      close_connection(c);
      return open_connection(c);
    }
    start_request(c);
  }

  Options options_;
  Url url_;
  addrinfo* address_;
  std::string request_;
  std::vector<Connection> connections_;
  int epoll_ = -1;
  Clock::time_point measure_from_;
  Clock::time_point measure_to_;
  std::vector<double> latencies_ms_;
  std::size_t errors_ = 0;
  char buffer_[65536];
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    return 64;
  }
  const std::optional<Url> url = parse_url(options.url);
  if (!url) {
    std::fprintf(stderr, "disaggd-loadgen: not an http://host:port/path URL: %s\n",
                 options.url.c_str());
    return 64;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* address = nullptr;
  if (const int rc = getaddrinfo(url->host.c_str(), url->port.c_str(), &hints, &address); rc != 0) {
    std::fprintf(stderr, "disaggd-loadgen: %s: %s\n", url->host.c_str(), gai_strerror(rc));
    return 1;
  }
  bool ok = false;
  {
    LoadGenerator generator(options, *url, address);
    ok = generator.run();
    if (ok) {
      std::printf("%s\n", generator.report().c_str());
    }
  }
  freeaddrinfo(address);
  return ok ? 0 : 1;
}
