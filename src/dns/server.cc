#include "dns/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "feed/follow.h"

// GCC 12 at -O2 reports asio's coroutine frames (allocated by awaitable_frame_base's own
// operator new, freed by its matching operator delete) as a new/delete mismatch: a known false
// positive of -Wmismatched-new-delete with coroutines (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace interdict::dns {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Address ToAddress(const asio::ip::address& a) {
  Address out;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    out.bytes[10] = out.bytes[11] = 0xff;
    std::copy(b.begin(), b.end(), out.bytes.begin() + 12);
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
  }
  return out;
}

std::int64_t WallClock() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> SplitHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("\"" + std::string(text) + "\": expected [ADDR]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::InvalidArgument("\"" + std::string(text) +
                                     "\": expected ADDR:PORT (or [ADDR6]:PORT)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  if (port.empty() || port.size() > 5) {
    return Status::InvalidArgument("\"" + std::string(text) + "\": bad port");
  }
  for (const char c : port) {
    if (c < '0' || c > '9')
      return Status::InvalidArgument("\"" + std::string(text) + "\": bad port");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return Status::InvalidArgument("\"" + std::string(text) + "\": bad port");
  RETURN_IF_ERROR(Address::Parse(host).status());
  return std::pair<std::string, std::uint16_t>{std::string(host),
                                               static_cast<std::uint16_t>(value)};
}

class DnsServer::Impl final : public ZoneTable {
 public:
  Impl(Registry& registry, DnsServerOptions options, DnsServer* owner)
      : registry_(registry),
        options_(std::move(options)),
        owner_(owner),
        responder_(*this, options_.policy, WallClock) {
    for (const RpzZoneSettings& s : options_.zones) {
      settings_.push_back(std::make_shared<const RpzZoneSettings>(s));
    }
  }

  ~Impl() override { Stop(); }

  std::shared_ptr<const RpzZone> Find(const Name& name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<const RpzZone> best;
    for (const auto& z : zones_) {
      if (!name.IsSubdomainOf(z->settings().origin)) continue;
      if (!best || z->settings().origin.label_count() > best->settings().origin.label_count()) {
        best = z;
      }
    }
    return best;
  }

  Result<feed::RpzOwnerDelta> Changes(const RpzZone& zone, Serial from) override {
    ASSIGN_OR_RETURN(feed::ViewDelta delta, feed::ReadDelta(registry_, zone.view(), from));
    return feed::RpzDelta(zone.view(), delta);
  }

  Status Start() {
    if (settings_.empty()) return Status::InvalidArgument("the DNS server needs at least one zone");
    for (std::size_t i = 0; i < settings_.size(); ++i) {
      for (std::size_t j = i + 1; j < settings_.size(); ++j) {
        if (settings_[i]->origin == settings_[j]->origin) {
          return Status::InvalidArgument("two zones are named " + settings_[i]->origin.ToText());
        }
      }
    }
    ASSIGN_OR_RETURN(auto host_port, SplitHostPort(options_.listen));
    for (const std::string& n : options_.notify) {
      ASSIGN_OR_RETURN(auto target, SplitHostPort(n));
      boost::system::error_code ec;
      const auto addr = asio::ip::make_address(target.first, ec);
      if (ec) return Status::InvalidArgument("--notify " + n + ": bad address");
      notify_.emplace_back(addr, target.second);
    }
    RETURN_IF_ERROR(Refresh().status());

    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(host_port.first, ec);
    if (ec) return Status::InvalidArgument(options_.listen + ": bad address");
    // UDP and TCP on the same port: with port 0, take the port UDP got, retrying if TCP has it.
    for (int attempt = 0;; ++attempt) {
      udp_ = udp::socket(io_);
      acceptor_ = tcp::acceptor(io_);
      udp_.open(addr.is_v4() ? udp::v4() : udp::v6(), ec);
      if (!ec) udp_.bind(udp::endpoint(addr, host_port.second), ec);
      if (ec) return Status::IOError("cannot bind UDP " + options_.listen + ": " + ec.message());
      const std::uint16_t port = udp_.local_endpoint().port();
      acceptor_.open(addr.is_v4() ? tcp::v4() : tcp::v6(), ec);
      if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acceptor_.bind(tcp::endpoint(addr, port), ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) {
        owner_->port_ = port;
        break;
      }
      if (host_port.second != 0 || attempt >= 20) {
        return Status::IOError("cannot listen on TCP " + addr.to_string() + ":" +
                               std::to_string(port) + ": " + ec.message());
      }
    }
    asio::co_spawn(io_, ServeUdp(), asio::detached);
    asio::co_spawn(io_, Accept(), asio::detached);
    NotifyAll();
    net_thread_ = std::thread([this] { io_.run(); });
    follow_thread_ = std::thread([this] { Follow(); });
    Log("dns: serving " + std::to_string(settings_.size()) + " zone(s) on " + addr.to_string() +
        " port " + std::to_string(owner_->port_.load()) + " at serial " +
        std::to_string(owner_->serial_.load()));
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (follow_thread_.joinable()) follow_thread_.join();
    io_.stop();
    if (net_thread_.joinable()) net_thread_.join();
  }

 private:
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // Brings every zone to the registry's serial. True when the zones changed.
  Result<bool> Refresh() {
    std::vector<std::shared_ptr<const RpzZone>> current;
    {
      std::lock_guard<std::mutex> lock(mu_);
      current = zones_;
    }
    std::vector<feed::View> views;
    for (const auto& s : settings_) views.push_back(s->view);
    std::vector<const feed::ViewSet*> followed;
    for (const auto& z : current) followed.push_back(&z->view());
    ASSIGN_OR_RETURN(std::optional<feed::FollowStep> step,
                     feed::FollowRegistry(registry_, views, followed));
    if (!step) return false;
    std::vector<std::shared_ptr<const RpzZone>> next;
    for (std::size_t i = 0; i < settings_.size(); ++i) {
      next.push_back(step->reloaded ? RpzZone::Make(settings_[i], std::move(step->views[i]))
                                    : current[i]->Next(std::move(step->views[i]), step->deltas[i]));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      zones_ = next;
    }
    owner_->serial_ = next.front()->registry_serial();
    std::string line = "dns: serial " + std::to_string(next.front()->registry_serial());
    for (const auto& z : next) {
      line += "; " + z->settings().origin.ToText() + " " + std::to_string(z->owners().size()) +
              " triggers";
      if (z->too_long() > 0) {
        line += " (" + std::to_string(z->too_long()) + " left out: name too long under the zone)";
      }
    }
    Log(line);
    return true;
  }

  void Follow() {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      stop_cv_.wait_for(lock, options_.poll, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      Result<bool> changed = Refresh();
      if (!changed.ok()) {
        Log("dns: cannot follow the registry: " + changed.status().message());
      } else if (*changed) {
        NotifyAll();
      }
      lock.lock();
    }
  }

  void NotifyAll() {
    if (notify_.empty()) return;
    std::vector<std::shared_ptr<const RpzZone>> zones;
    {
      std::lock_guard<std::mutex> lock(mu_);
      zones = zones_;
    }
    asio::post(io_, [this, zones = std::move(zones)] {
      for (const auto& z : zones) {
        for (const udp::endpoint& target : notify_) {
          asio::co_spawn(io_, Notify(target, z), asio::detached);
        }
      }
    });
  }

  awaitable<void> ServeUdp() {
    std::vector<std::uint8_t> buf(kMaxMessageSize);
    udp::endpoint peer;
    for (;;) {
      auto [ec, n] = co_await udp_.async_receive_from(asio::buffer(buf), peer, kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      const Reply r = responder_.Handle({buf.data(), n}, ToAddress(peer.address()), false);
      if (r.drop || r.message.empty()) continue;
      co_await udp_.async_send_to(asio::buffer(r.message), peer, kNoThrow);
    }
  }

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      if (tcp_sessions_ >= options_.max_tcp_connections) {
        Log("dns: too many TCP connections; closing one from " +
            socket.remote_endpoint(ec).address().to_string());
        socket.close(ec);
        continue;
      }
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  // Reads exactly buffer.size() bytes, or fails on error or when the connection is idle.
  awaitable<bool> ReadFully(tcp::socket& socket, asio::steady_timer& idle,
                            asio::mutable_buffer buffer) {
    idle.expires_after(options_.tcp_idle);
    auto result =
        co_await (asio::async_read(socket, buffer, kNoThrow) || idle.async_wait(kNoThrow));
    if (result.index() != 0) co_return false;
    auto [ec, n] = std::get<0>(result);
    co_return !ec && n == buffer.size();
  }

  awaitable<bool> WriteFrame(tcp::socket& socket, const std::vector<std::uint8_t>& message) {
    const std::array<std::uint8_t, 2> prefix = TcpLengthPrefix(message.size());
    const std::array<asio::const_buffer, 2> parts = {asio::buffer(prefix), asio::buffer(message)};
    auto [ec, n] = co_await asio::async_write(socket, parts, kNoThrow);
    co_return !ec;
  }

  awaitable<void> Session(tcp::socket socket) {
    ++tcp_sessions_;
    struct Count {
      std::size_t& n;
      ~Count() { --n; }
    } count{tcp_sessions_};
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) co_return;
    const Address peer = ToAddress(remote.address());
    asio::steady_timer idle(io_);
    std::vector<std::uint8_t> query;
    for (;;) {
      std::array<std::uint8_t, 2> prefix{};
      if (!co_await ReadFully(socket, idle, asio::buffer(prefix))) break;
      const std::size_t size = (std::size_t{prefix[0]} << 8) | prefix[1];
      query.resize(size);
      if (size > 0 && !co_await ReadFully(socket, idle, asio::buffer(query))) break;
      Reply r = responder_.Handle(query, peer, true);
      if (r.drop) continue;
      if (!r.stream) {
        if (!co_await WriteFrame(socket, r.message)) break;
        continue;
      }
      std::vector<std::uint8_t> message;
      std::size_t messages = 0;
      bool ok = true;
      const auto started = std::chrono::steady_clock::now();
      while (r.stream->Next(&message)) {
        ++messages;
        if (!co_await WriteFrame(socket, message)) {
          ok = false;
          break;
        }
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      Log("dns: transfer to " + peer.ToString() + ": " + std::to_string(r.stream->records()) +
          " records in " + std::to_string(messages) + " messages, " + std::to_string(ms) + " ms" +
          (ok ? "" : " (connection lost)"));
      if (!ok) break;
    }
    socket.close(ec);
  }

  awaitable<void> Notify(udp::endpoint target, std::shared_ptr<const RpzZone> zone) {
    boost::system::error_code ec;
    udp::socket socket(io_);
    socket.open(target.protocol(), ec);
    if (ec) co_return;
    std::mt19937 rng(std::random_device{}());
    const auto id = static_cast<std::uint16_t>(rng());
    MessageWriter writer(kMaxUdpSizeWithoutEdns);
    writer.header().id = id;
    writer.header().opcode = kOpcodeNotify;
    writer.header().aa = true;
    writer.AddQuestion({zone->settings().origin, kTypeSOA, kClassIN});
    writer.AddRecord(Section::kAnswer, zone->Soa());
    std::vector<std::uint8_t> message = writer.Finish();
    if (options_.notify_key && !SignTsigRequest(*options_.notify_key, WallClock(), &message).ok()) {
      Log("dns: cannot sign NOTIFY");
      co_return;
    }
    const std::string who = target.address().to_string() + ":" + std::to_string(target.port());
    std::vector<std::uint8_t> buf(kMaxMessageSize);
    asio::steady_timer timer(io_);
    auto wait = std::chrono::milliseconds(250);
    for (int attempt = 0; attempt < 6; ++attempt, wait *= 2) {
      co_await socket.async_send_to(asio::buffer(message), target, kNoThrow);
      timer.expires_after(wait);
      for (;;) {
        udp::endpoint from;
        auto result = co_await (socket.async_receive_from(asio::buffer(buf), from, kNoThrow) ||
                                timer.async_wait(kNoThrow));
        if (result.index() != 0) break;  // timed out: send again
        auto [rec, n] = std::get<0>(result);
        if (rec) break;
        Result<Header> h = ParseHeader({buf.data(), n});
        if (!h.ok() || !h->qr || h->id != id || h->opcode != kOpcodeNotify) continue;
        Log("dns: NOTIFY " + zone->settings().origin.ToText() + " serial " +
            std::to_string(zone->serial()) + " to " + who + ": " + RcodeName(h->rcode));
        co_return;
      }
    }
    Log("dns: NOTIFY " + zone->settings().origin.ToText() + " to " + who + ": no answer");
  }

  Registry& registry_;
  DnsServerOptions options_;
  DnsServer* owner_;
  std::vector<std::shared_ptr<const RpzZoneSettings>> settings_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const RpzZone>> zones_;  // guarded by mu_
  Responder responder_;
  asio::io_context io_{1};
  udp::socket udp_{io_};
  tcp::acceptor acceptor_{io_};
  std::vector<udp::endpoint> notify_;
  std::size_t tcp_sessions_ = 0;  // network thread only
  std::thread net_thread_;
  std::thread follow_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
};

DnsServer::DnsServer(Registry& registry, DnsServerOptions options)
    : impl_(std::make_unique<Impl>(registry, std::move(options), this)) {}

DnsServer::~DnsServer() {
  Stop();
}

Status DnsServer::Start() {
  return impl_->Start();
}

void DnsServer::Stop() {
  if (impl_) impl_->Stop();
}

}  // namespace interdict::dns
