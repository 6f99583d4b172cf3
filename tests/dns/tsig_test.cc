#include "dns/tsig.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns/wire.h"
#include "testing/temp_dir.h"

namespace interdict::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kNow = 1'700'000'000;
// 32 random bytes, base64.
constexpr const char* kSecret = "Kq3fYqXy0M7zQ1fvW8mJ4l6Yp1wq9v2b3R5s7t9u0xE=";

Name N(const std::string& text) {
  return Name::FromText(text).value();
}

TsigKey Key(const std::string& name = "transfer-key.example") {
  return ParseTsigKey("hmac-sha256:" + name + ":" + kSecret).value();
}

Bytes Query(std::uint16_t id, const std::string& qname, std::uint16_t qtype) {
  MessageWriter w;
  w.header().id = id;
  EXPECT_TRUE(w.AddQuestion({N(qname), qtype, kClassIN}));
  return w.Finish();
}

Message Parse(const Bytes& b) {
  Result<Message> m = ParseMessage(b);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : Message{};
}

TsigKeyRing Ring() {
  TsigKeyRing ring;
  EXPECT_TRUE(ring.Add(Key("other-key.example")).ok());
  EXPECT_TRUE(ring.Add(Key()).ok());
  return ring;
}

// ---- Keys and base64 ----

TEST(TsigKeyTest, ParsesBindStyleSpecs) {
  const Result<TsigKey> k = ParseTsigKey("hmac-sha256:Transfer-Key.example:AQID");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->name.ToText(), "Transfer-Key.example.");
  EXPECT_EQ(k->algorithm, "hmac-sha256.");
  EXPECT_EQ(k->secret, (Bytes{1, 2, 3}));
  const Result<TsigKey> short_form = ParseTsigKey("key.example.:AQI=");
  ASSERT_TRUE(short_form.ok());
  EXPECT_EQ(short_form->name.ToText(), "key.example.");
  EXPECT_EQ(short_form->secret, (Bytes{1, 2}));
  EXPECT_EQ(ParseTsigKey("HMAC-SHA256.:k:AQ==")->secret, (Bytes{1}));

  for (const char* bad :
       {"", "nocolon", "hmac-md5:k:AQID", "hmac-sha1:k:AQID", "k:", ":AQID", "k:AQI",
        "k:A===", "k:AQ=D", "k:AQ I", "a..b:AQID", ".:AQID", "hmac-sha256::AQID"}) {
    const Result<TsigKey> r = ParseTsigKey(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(TsigKeyTest, Base64RoundTripsEveryPaddingLength) {
  Bytes data;
  for (std::uint8_t n = 0; n < 40; ++n) {
    const std::string text = Base64Encode(data);
    EXPECT_EQ(text.size() % 4, 0U);
    const Result<Bytes> back = Base64Decode(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, data) << text;
    data.push_back(static_cast<std::uint8_t>(n * 37 + 255));
  }
  EXPECT_EQ(Base64Encode(Bytes{'f', 'o', 'o', 'b'}), "Zm9vYg==");
  EXPECT_EQ(*Base64Decode("Zm9vYmE="), (Bytes{'f', 'o', 'o', 'b', 'a'}));
  EXPECT_FALSE(Base64Decode("Zm9vY").ok());
  EXPECT_FALSE(Base64Decode("Zm=vYg==").ok());
}

TEST(TsigKeyTest, RingFindsByNameIgnoringCase) {
  TsigKeyRing ring = Ring();
  EXPECT_EQ(ring.size(), 2U);
  ASSERT_NE(ring.Find(N("TRANSFER-key.EXAMPLE")), nullptr);
  EXPECT_EQ(ring.Find(N("TRANSFER-key.EXAMPLE"))->name.ToText(), "transfer-key.example.");
  EXPECT_EQ(ring.Find(N("nope.example")), nullptr);
  EXPECT_EQ(ring.Add(Key("Transfer-Key.example")).code(), StatusCode::kAlreadyExists);
}

// ---- Requests ----

TEST(TsigRequestTest, SignedRequestVerifies) {
  Bytes q = Query(0x5151, "rpz.example", kTypeAXFR);
  const std::size_t unsigned_size = q.size();
  TsigSigner probe(Key(), {}, kNow);
  const Result<Bytes> mac = SignTsigRequest(Key(), kNow, &q);
  ASSERT_TRUE(mac.ok()) << mac.status().ToString();
  EXPECT_EQ(mac->size(), kHmacSha256Size);
  EXPECT_EQ(q.size(), unsigned_size + probe.record_size());
  const Message m = Parse(q);
  ASSERT_TRUE(m.tsig_offset.has_value());
  EXPECT_EQ(*m.tsig_offset, unsigned_size);
  const Result<TsigRecord> t = TsigRecord::FromRecord(m.additional.back());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->time_signed, static_cast<std::uint64_t>(kNow));
  EXPECT_EQ(t->fudge, kTsigDefaultFudge);
  EXPECT_EQ(t->original_id, 0x5151);
  EXPECT_EQ(t->algorithm.ToText(), "hmac-sha256.");

  const TsigKeyRing ring = Ring();
  const Result<TsigVerification> v = VerifyTsigRequest(q, m, ring, kNow + 299);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->error, kRcodeNoError);
  ASSERT_NE(v->key, nullptr);
  EXPECT_EQ(v->key->name, N("transfer-key.example"));
  EXPECT_EQ(v->request_mac, *mac);
}

TEST(TsigRequestTest, EveryFlippedBitBreaksTheMac) {
  Bytes q = Query(7, "example.com", kTypeSOA);
  ASSERT_TRUE(SignTsigRequest(Key(), kNow, &q).ok());
  const TsigKeyRing ring = Ring();
  const std::size_t tsig_at = *Parse(q).tsig_offset;
  for (std::size_t i = 0; i < q.size(); ++i) {
    Bytes bad = q;
    bad[i] ^= 0x01;
    const Result<Message> m = ParseMessage(bad);
    if (!m.ok() || !m->tsig_offset) continue;  // no longer a signed message
    const Result<TsigVerification> v = VerifyTsigRequest(bad, *m, ring, kNow);
    if (!v.ok()) continue;  // malformed TSIG: FORMERR
    // The ID is not covered (the original ID in the TSIG record is); everything else is.
    if (i < 2) {
      EXPECT_EQ(v->error, kRcodeNoError) << i;
    } else {
      EXPECT_NE(v->error, kRcodeNoError) << "byte " << i << " (TSIG at " << tsig_at << ")";
    }
  }
}

TEST(TsigRequestTest, KeyAlgorithmTimeAndTruncationErrors) {
  const TsigKeyRing ring = Ring();
  Bytes q = Query(9, "example.com", kTypeSOA);
  ASSERT_TRUE(SignTsigRequest(Key("unknown.example"), kNow, &q).ok());
  Result<TsigVerification> v = VerifyTsigRequest(q, Parse(q), ring, kNow);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->error, kRcodeBadKey);
  EXPECT_EQ(v->key, nullptr);

  // The right key name with a different secret.
  TsigKey wrong = Key();
  wrong.secret[0] ^= 1;
  q = Query(9, "example.com", kTypeSOA);
  ASSERT_TRUE(SignTsigRequest(wrong, kNow, &q).ok());
  v = VerifyTsigRequest(q, Parse(q), ring, kNow);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->error, kRcodeBadSig);
  EXPECT_TRUE(v->request_mac.empty());

  // Too old, too new; the fudge edge is inside.
  q = Query(9, "example.com", kTypeSOA);
  ASSERT_TRUE(SignTsigRequest(Key(), kNow, &q, 60).ok());
  EXPECT_EQ(VerifyTsigRequest(q, Parse(q), ring, kNow + 60)->error, kRcodeNoError);
  EXPECT_EQ(VerifyTsigRequest(q, Parse(q), ring, kNow - 60)->error, kRcodeNoError);
  v = VerifyTsigRequest(q, Parse(q), ring, kNow + 61);
  EXPECT_EQ(v->error, kRcodeBadTime);
  EXPECT_EQ(v->request_mac.size(), kHmacSha256Size);  // the MAC was good
  EXPECT_EQ(VerifyTsigRequest(q, Parse(q), ring, kNow - 61)->error, kRcodeBadTime);

  // An unsupported algorithm with a known key name.
  q = Query(9, "example.com", kTypeSOA);
  ASSERT_TRUE(SignTsigRequest(Key(), kNow, &q).ok());
  Message m = Parse(q);
  TsigRecord t = *TsigRecord::FromRecord(m.additional.back());
  t.algorithm = N("hmac-md5.sig-alg.reg.int");
  Bytes relabelled(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(*m.tsig_offset));
  MessageWriter tail;
  ASSERT_TRUE(tail.AddRecord(Section::kAdditional, t.ToRecord()));
  Bytes record = tail.Finish();
  relabelled.insert(relabelled.end(), record.begin() + 12, record.end());
  EXPECT_EQ(VerifyTsigRequest(relabelled, Parse(relabelled), ring, kNow)->error, kRcodeBadKey);

  // A MAC truncated to 16 bytes that verifies: refused with BADTRUNC; to 8 bytes: FORMERR.
  for (const std::size_t keep : {std::size_t{16}, std::size_t{8}}) {
    t = *TsigRecord::FromRecord(m.additional.back());
    t.mac.resize(keep);
    MessageWriter w2;
    ASSERT_TRUE(w2.AddRecord(Section::kAdditional, t.ToRecord()));
    const Bytes rr = w2.Finish();
    Bytes truncated(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(*m.tsig_offset));
    truncated.insert(truncated.end(), rr.begin() + 12, rr.end());
    v = VerifyTsigRequest(truncated, Parse(truncated), ring, kNow);
    if (keep == 16) {
      ASSERT_TRUE(v.ok());
      EXPECT_EQ(v->error, kRcodeBadTrunc);
    } else {
      EXPECT_FALSE(v.ok());
      EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
    }
  }

  // No TSIG at all, or a malformed one: FORMERR.
  q = Query(9, "example.com", kTypeSOA);
  EXPECT_EQ(VerifyTsigRequest(q, Parse(q), ring, kNow).status().code(), StatusCode::kCorruption);
}

TEST(TsigRequestTest, ErrorAnswersCarryTheRightRecord) {
  const TsigKeyRing ring = Ring();
  for (const std::uint16_t error : {kRcodeBadKey, kRcodeBadSig, kRcodeBadTime}) {
    TsigKey client = Key(error == kRcodeBadKey ? "stranger.example" : "transfer-key.example");
    if (error == kRcodeBadSig) client.secret[3] ^= 0x40;
    Bytes q = Query(77, "example.com", kTypeSOA);
    const Result<Bytes> request_mac = SignTsigRequest(client, kNow, &q);
    ASSERT_TRUE(request_mac.ok());
    const std::int64_t server_now = error == kRcodeBadTime ? kNow + 1000 : kNow;
    const Result<TsigVerification> v = VerifyTsigRequest(q, Parse(q), ring, server_now);
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->error, error);

    MessageWriter w;
    w.header().id = 77;
    w.header().qr = true;
    w.header().rcode = kRcodeNotAuth;
    ASSERT_TRUE(w.AddQuestion({N("example.com"), kTypeSOA, kClassIN}));
    Bytes answer = w.Finish();
    ASSERT_TRUE(AppendTsigError(*v, server_now, &answer).ok());
    const Message m = Parse(answer);
    ASSERT_TRUE(m.tsig_offset.has_value());
    const TsigRecord t = *TsigRecord::FromRecord(m.additional.back());
    EXPECT_EQ(t.error, error);
    EXPECT_EQ(t.key_name, client.name);
    TsigResponseVerifier client_side(client, *request_mac);
    const Status s = client_side.Verify(answer, m, kNow);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
    if (error == kRcodeBadTime) {
      // Signed with the request's time and our time in other data; the client can check it.
      EXPECT_EQ(t.mac.size(), kHmacSha256Size);
      EXPECT_EQ(t.time_signed, static_cast<std::uint64_t>(kNow));
      EXPECT_EQ(t.other_data, (Bytes{0, 0, 0x65, 0x53, 0xF4, 0xE8}));
      EXPECT_NE(s.message().find("BADTIME (signed)"), std::string::npos) << s.message();
    } else {
      EXPECT_TRUE(t.mac.empty());
      EXPECT_NE(s.message().find("(unsigned)"), std::string::npos) << s.message();
    }
  }
  TsigVerification ok;
  Bytes answer = Query(1, "x", kTypeA);
  EXPECT_EQ(AppendTsigError(ok, kNow, &answer).code(), StatusCode::kInvalidArgument);
}

// ---- Answers: one message and sequences ----

Bytes AnswerPart(std::uint16_t id, int part, int records, bool with_question) {
  MessageWriter w(kMaxMessageSize - 200);
  w.header().id = id;
  w.header().qr = true;
  w.header().aa = true;
  if (with_question) {
    EXPECT_TRUE(w.AddQuestion({N("rpz.example"), kTypeAXFR, kClassIN}));
  }
  for (int i = 0; i < records; ++i) {
    const Name owner =
        *N("p" + std::to_string(part) + "r" + std::to_string(i)).Concat(N("rpz.example"));
    EXPECT_TRUE(w.AddRecord(Section::kAnswer,
                            {owner, kTypeCNAME, kClassIN, 60, Rdata::EncodeCname(N("."))}));
  }
  return w.Finish();
}

TEST(TsigSequenceTest, SignerAndVerifierAgreeOverAStream) {
  const TsigKey key = Key();
  Bytes q = Query(0x2222, "rpz.example", kTypeAXFR);
  const Bytes request_mac = *SignTsigRequest(key, kNow, &q);
  const TsigKeyRing ring = Ring();
  const Result<TsigVerification> v = VerifyTsigRequest(q, Parse(q), ring, kNow + 1);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->error, kRcodeNoError);

  TsigSigner signer(*v->key, v->request_mac, kNow + 1);
  std::vector<Bytes> stream;
  for (int part = 0; part < 5; ++part) {
    Bytes msg = AnswerPart(0x2222, part, 50 + part, part == 0);
    const std::size_t before = msg.size();
    ASSERT_TRUE(signer.Sign(&msg).ok());
    EXPECT_EQ(msg.size(), before + signer.record_size());
    stream.push_back(std::move(msg));
  }
  EXPECT_EQ(signer.messages_signed(), 5U);

  // In order: every message verifies.
  TsigResponseVerifier client(key, request_mac);
  for (const Bytes& msg : stream) {
    ASSERT_TRUE(client.Verify(msg, Parse(msg), kNow + 2).ok());
  }
  EXPECT_TRUE(client.complete());

  // Later messages are chained to earlier ones: dropping, swapping or altering one fails.
  {
    TsigResponseVerifier c(key, request_mac);
    ASSERT_TRUE(c.Verify(stream[0], Parse(stream[0]), kNow).ok());
    EXPECT_EQ(c.Verify(stream[2], Parse(stream[2]), kNow).code(), StatusCode::kPermissionDenied);
  }
  {
    TsigResponseVerifier c(key, request_mac);
    EXPECT_FALSE(c.Verify(stream[1], Parse(stream[1]), kNow).ok());
  }
  {
    TsigResponseVerifier c(key, request_mac);
    ASSERT_TRUE(c.Verify(stream[0], Parse(stream[0]), kNow).ok());
    Bytes altered = stream[1];
    altered[20] ^= 1;  // inside the first owner name
    EXPECT_FALSE(c.Verify(altered, Parse(altered), kNow).ok());
  }
  {
    // Another request's MAC.
    Bytes other = request_mac;
    other[0] ^= 1;
    TsigResponseVerifier c(key, other);
    EXPECT_FALSE(c.Verify(stream[0], Parse(stream[0]), kNow).ok());
  }
  {
    // Out of the fudge for the client.
    TsigResponseVerifier c(key, request_mac);
    EXPECT_NE(c.Verify(stream[0], Parse(stream[0]), kNow + 1000).message().find("BADTIME"),
              std::string::npos);
  }
}

TEST(TsigSequenceTest, UnsignedMessagesBetweenSignedOnes) {
  const TsigKey key = Key();
  Bytes q = Query(3, "rpz.example", kTypeAXFR);
  const Bytes request_mac = *SignTsigRequest(key, kNow, &q);
  TsigSigner signer(key, request_mac, kNow);
  Bytes first = AnswerPart(3, 0, 5, true);
  EXPECT_EQ(signer.AddUnsigned(first).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(signer.Sign(&first).ok());
  const Bytes middle1 = AnswerPart(3, 1, 5, false);
  const Bytes middle2 = AnswerPart(3, 2, 5, false);
  ASSERT_TRUE(signer.AddUnsigned(middle1).ok());
  ASSERT_TRUE(signer.AddUnsigned(middle2).ok());
  Bytes last = AnswerPart(3, 3, 5, false);
  ASSERT_TRUE(signer.Sign(&last).ok());

  TsigResponseVerifier client(key, request_mac);
  ASSERT_TRUE(client.Verify(first, Parse(first), kNow).ok());
  ASSERT_TRUE(client.Verify(middle1, Parse(middle1), kNow).ok());
  EXPECT_FALSE(client.complete());
  ASSERT_TRUE(client.Verify(middle2, Parse(middle2), kNow).ok());
  ASSERT_TRUE(client.Verify(last, Parse(last), kNow).ok());
  EXPECT_TRUE(client.complete());
}

// ---- Interoperability with kdig (Knot) and dig (BIND) ----

// A child process whose stdout and stderr go to a file.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) : out_(dir_.File("output")) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (const std::string& a : argv) command_ += a + " ";
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The exit status (-1 if it had to be killed after 30 s), and what it printed.
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    for (int i = 0; i < 3000; ++i) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  std::string output() const { return testing::ReadFile(out_); }
  const std::string& command() const { return command_; }

 private:
  testing::TempDir dir_;
  std::string out_;
  std::string command_;
  pid_t pid_ = -1;
};

// The tool's full path. The tests fail (never skip) without it: scripts/deps.sh installs
// knot-dnsutils (kdig) and bind9-dnsutils (dig).
std::string Tool(const std::string& name) {
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): nobody sets it
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A socket bound to 127.0.0.1 on a port the kernel picks.
int BoundSocket(int type, std::uint16_t* port) {
  const int fd = socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  *port = ntohs(a.sin_port);
  if (type == SOCK_STREAM && listen(fd, 4) != 0) return -1;
  return fd;
}

bool WaitReadable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

bool ReadExactly(int fd, std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    if (!WaitReadable(fd, 10000)) return false;
    const ssize_t r = read(fd, out + got, n - got);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<Bytes> ReadFrame(int fd) {
  std::uint8_t prefix[2];
  if (!ReadExactly(fd, prefix, 2)) return std::nullopt;
  Bytes msg(static_cast<std::size_t>((prefix[0] << 8) | prefix[1]));
  if (!ReadExactly(fd, msg.data(), msg.size())) return std::nullopt;
  return msg;
}

bool WriteAll(int fd, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) return false;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

constexpr const char* kZone = "rpz.example";

std::string KeySpec() {
  return std::string("hmac-sha256:transfer-key.example:") + kSecret;
}

std::int64_t WallClock() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// The command line of a query with each tool.
std::vector<std::string> QueryCommand(const std::string& tool, std::uint16_t port,
                                      const std::string& qtype, bool tcp) {
  std::vector<std::string> argv = {Tool(tool),           "@127.0.0.1", "-p",
                                   std::to_string(port), "-y",         KeySpec()};
  if (tool == "kdig") {
    argv.insert(argv.end(), {"+retry=0", "+timeout=5"});
    if (tcp) argv.emplace_back("+tcp");
  } else {
    argv.insert(argv.end(), {"+tries=1", "+time=5"});
    if (tcp) argv.emplace_back("+tcp");
  }
  argv.insert(argv.end(), {kZone, qtype});
  return argv;
}

const Rdata::Soa& ZoneSoa() {
  static const Rdata::Soa soa{
      N("ns.rpz.example"), N("hostmaster.rpz.example"), 2024061501, 3600, 600, 86400, 60};
  return soa;
}

// What each tool prints when a TSIG check fails. kdig: "reply verification for ... (failed
// to verify TSIG)"; dig: "Couldn't verify signature" and "Some TSIG could not be validated".
bool ReportsTsigFailure(const std::string& tool, const std::string& out) {
  if (tool == "kdig") return out.find("reply verification for") != std::string::npos;
  return out.find("Couldn't verify signature") != std::string::npos ||
         out.find("Some TSIG could not be validated") != std::string::npos;
}

// What each tool prints when a MAC does not verify, and when a signed BADTIME answer does.
std::string MacFailure(const std::string& tool) {
  return tool == "kdig" ? "failed to verify TSIG" : "tsig verify failure";
}
std::string ClockFailure(const std::string& tool) {
  return tool == "kdig" ? "TSIG out of time window" : "clocks are unsynchronized";
}

enum class Tamper {
  kNone,
  kMac,             // flip a bit of the MAC (of the first, or only, message)
  kBadTime,         // the server's clock is 1000 s ahead: answer NOTAUTH / BADTIME
  kBadTimeBadMac,   // the same with a bit of the MAC flipped
  kSecondMac,       // flip a bit of the second message's MAC
  kUnsignedMiddle,  // send the second message unsigned
};

struct ToolResult {
  int status;
  std::string output;
};

// Receives one signed query from `tool` over UDP, checks it with our verifier (the tool's
// request must verify), answers it signed (or tampered as asked) and returns what the tool
// made of the answer.
ToolResult ServeOneUdpQuery(const std::string& tool, Tamper tamper) {
  std::uint16_t port = 0;
  const Fd sock(BoundSocket(SOCK_DGRAM, &port));
  EXPECT_GE(sock.get(), 0);
  Child child(QueryCommand(tool, port, "SOA", false));
  if (!WaitReadable(sock.get(), 10000)) {
    ADD_FAILURE() << child.command() << ": no query arrived";
    return {-1, child.output()};
  }
  Bytes query(65535);
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  const ssize_t n = recvfrom(sock.get(), query.data(), query.size(), 0,
                             reinterpret_cast<sockaddr*>(&peer), &peer_len);
  EXPECT_GT(n, 0);
  query.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));

  // (a) The tool's signed request verifies with our code.
  const bool badtime = tamper == Tamper::kBadTime || tamper == Tamper::kBadTimeBadMac;
  const std::int64_t now = WallClock() + (badtime ? 1000 : 0);
  const Result<Message> m = ParseMessage(query);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {-1, ""};
  EXPECT_TRUE(m->tsig_offset.has_value()) << tool << " did not sign its query";
  const TsigKeyRing ring = Ring();
  const Result<TsigVerification> v = VerifyTsigRequest(query, *m, ring, now);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok() || v->key == nullptr) return {-1, ""};
  EXPECT_EQ(v->error, badtime ? kRcodeBadTime : kRcodeNoError) << RcodeName(v->error, true);
  EXPECT_EQ(v->key->name, N("transfer-key.example"));
  EXPECT_EQ(v->request_mac.size(), kHmacSha256Size);

  // (b) Our answer, signed with the request's MAC.
  TsigSigner signer(*v->key, v->request_mac, now);
  MessageWriter w(1232 - signer.record_size() - 6);
  w.header().id = m->header.id;
  w.header().qr = true;
  w.header().aa = true;
  w.header().rd = m->header.rd;
  for (const Question& q : m->question) EXPECT_TRUE(w.AddQuestion(q));
  if (badtime) {
    w.header().rcode = static_cast<std::uint8_t>(kRcodeNotAuth);
  } else {
    EXPECT_TRUE(
        w.AddRecord(Section::kAnswer, {N(kZone), kTypeSOA, kClassIN, 3600, ZoneSoa().Encode()}));
    EXPECT_TRUE(w.AddRecord(Section::kAuthority, {N(kZone), kTypeNS, kClassIN, 3600,
                                                  Rdata::EncodeNs(N("ns.rpz.example"))}));
  }
  if (m->edns) {
    EXPECT_TRUE(w.AddEdns(Edns{}));
  }
  Bytes answer = w.Finish();
  if (badtime) {
    EXPECT_TRUE(AppendTsigError(*v, now, &answer).ok());
  } else {
    EXPECT_TRUE(signer.Sign(&answer).ok());
  }
  if (tamper == Tamper::kMac) answer[answer.size() - 10] ^= 0x01;            // inside the MAC
  if (tamper == Tamper::kBadTimeBadMac) answer[answer.size() - 16] ^= 0x01;  // other data: 6
  sendto(sock.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_len);
  const int status = child.Wait();
  return {status, child.output()};
}

// Serves one AXFR over TCP in three signed messages (SOA + 3 records, 3 records, 2 records +
// SOA) to `tool`.
ToolResult ServeAxfr(const std::string& tool, Tamper tamper) {
  std::uint16_t port = 0;
  const Fd listener(BoundSocket(SOCK_STREAM, &port));
  EXPECT_GE(listener.get(), 0);
  Child child(QueryCommand(tool, port, "AXFR", true));
  if (!WaitReadable(listener.get(), 10000)) {
    ADD_FAILURE() << child.command() << ": no connection";
    return {-1, child.output()};
  }
  const Fd conn(accept(listener.get(), nullptr, nullptr));
  EXPECT_GE(conn.get(), 0);
  const std::optional<Bytes> query = ReadFrame(conn.get());
  EXPECT_TRUE(query.has_value());
  if (!query) return {-1, ""};
  const std::int64_t now = WallClock();
  const Result<Message> m = ParseMessage(*query);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok() || m->question.size() != 1) return {-1, ""};
  EXPECT_EQ(m->question[0].type, kTypeAXFR);
  const TsigKeyRing ring = Ring();
  const Result<TsigVerification> v = VerifyTsigRequest(*query, *m, ring, now);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok() || v->key == nullptr) return {-1, ""};
  EXPECT_EQ(v->error, kRcodeNoError);

  const Record soa{N(kZone), kTypeSOA, kClassIN, 3600, ZoneSoa().Encode()};
  auto cname = [](const std::string& owner, const std::string& target) {
    return Record{*N(owner).Concat(N(kZone)), kTypeCNAME, kClassIN, 300,
                  Rdata::EncodeCname(N(target))};
  };
  const std::vector<std::vector<Record>> parts = {
      {soa,
       {N(kZone), kTypeNS, kClassIN, 3600, Rdata::EncodeNs(N("ns.rpz.example"))},
       cname("blocked-one.example", "."),
       cname("*.blocked-one.example", ".")},
      {cname("blocked-two.example", "*."),
       cname("walled.example", "rpz-passthru."),
       {*N("ns").Concat(N(kZone)), kTypeA, kClassIN, 3600, Bytes{192, 0, 2, 53}}},
      {cname("blocked-three.example", "."), cname("last.example", "."), soa},
  };
  TsigSigner signer(*v->key, v->request_mac, now);
  Bytes out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    MessageWriter w(kMaxMessageSize - signer.record_size());
    w.header().id = m->header.id;
    w.header().qr = true;
    w.header().aa = true;
    if (i == 0) {
      EXPECT_TRUE(w.AddQuestion(m->question[0]));
    }
    for (const Record& r : parts[i]) EXPECT_TRUE(w.AddRecord(Section::kAnswer, r));
    Bytes msg = w.Finish();
    if (tamper == Tamper::kUnsignedMiddle && i == 1) {
      EXPECT_TRUE(signer.AddUnsigned(msg).ok());
    } else {
      EXPECT_TRUE(signer.Sign(&msg).ok());
    }
    if ((tamper == Tamper::kMac && i == 0) || (tamper == Tamper::kSecondMac && i == 1)) {
      msg[msg.size() - 10] ^= 0x01;  // inside the MAC
    }
    EXPECT_TRUE(AppendTcpFrame(msg, &out).ok());
  }
  EXPECT_TRUE(WriteAll(conn.get(), out));
  shutdown(conn.get(), SHUT_WR);
  const int status = child.Wait();
  return {status, child.output()};
}

const std::vector<std::string>& AxfrOwners() {
  static const std::vector<std::string> owners = {"blocked-one.example.rpz.example.",
                                                  "*.blocked-one.example.rpz.example.",
                                                  "blocked-two.example.rpz.example.",
                                                  "walled.example.rpz.example.",
                                                  "ns.rpz.example.",
                                                  "blocked-three.example.rpz.example.",
                                                  "last.example.rpz.example.",
                                                  "rpz-passthru."};
  return owners;
}

// Runs against kdig (Knot DNS) and dig (BIND): each checks TSIG with its own implementation.
class InteropTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Tool(GetParam()).empty())
        << GetParam() << " is not installed: run scripts/deps.sh (knot-dnsutils, bind9-dnsutils)";
  }
};

// (a) the tool's signed query verifies here, (b) our signed answer verifies there.
TEST_P(InteropTest, SignedQueryVerifiesAndSignedAnswerIsAccepted) {
  const ToolResult r = ServeOneUdpQuery(GetParam(), Tamper::kNone);
  SCOPED_TRACE(r.output);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("hostmaster.rpz.example."), std::string::npos);
  EXPECT_NE(r.output.find("2024061501"), std::string::npos);
  EXPECT_FALSE(ReportsTsigFailure(GetParam(), r.output));
}

// The check above means something: the tool does notice a bad MAC.
TEST_P(InteropTest, TamperedAnswerMacIsRejected) {
  const ToolResult r = ServeOneUdpQuery(GetParam(), Tamper::kMac);
  SCOPED_TRACE(r.output);
  EXPECT_TRUE(ReportsTsigFailure(GetParam(), r.output));
  EXPECT_NE(r.output.find(MacFailure(GetParam())), std::string::npos);
}

// A BADTIME answer (NOTAUTH, signed, the request's time, our time in other data): the tool
// verifies its MAC and reports the clock skew; with a flipped MAC bit it reports a bad MAC.
TEST_P(InteropTest, BadTimeAnswerIsSignedCorrectly) {
  const ToolResult r = ServeOneUdpQuery(GetParam(), Tamper::kBadTime);
  EXPECT_NE(r.output.find(GetParam() == "kdig" ? "BADTIME" : "NOTAUTH"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(ClockFailure(GetParam())), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(MacFailure(GetParam())), std::string::npos) << r.output;
  const ToolResult bad = ServeOneUdpQuery(GetParam(), Tamper::kBadTimeBadMac);
  EXPECT_NE(bad.output.find(MacFailure(GetParam())), std::string::npos) << bad.output;
}

// Three TCP messages, each signed: the first MAC chains to the request's, the next two to
// the previous message's (TSIG timers only).
TEST_P(InteropTest, SignedAxfrInThreeMessagesIsAccepted) {
  const ToolResult r = ServeAxfr(GetParam(), Tamper::kNone);
  SCOPED_TRACE(r.output);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(ReportsTsigFailure(GetParam(), r.output));
  for (const std::string& owner : AxfrOwners()) {
    EXPECT_NE(r.output.find(owner), std::string::npos) << owner;
  }
}

TEST_P(InteropTest, AxfrWithATamperedFirstMessageIsRejected) {
  const ToolResult r = ServeAxfr(GetParam(), Tamper::kMac);
  SCOPED_TRACE(r.output);
  EXPECT_TRUE(ReportsTsigFailure(GetParam(), r.output));
  if (GetParam() == "kdig") {
    EXPECT_NE(r.status, 0);  // kdig abandons the transfer; dig prints a warning and exits 0
  }
}

TEST_P(InteropTest, AxfrWithAnUnsignedMiddleMessageIsAccepted) {
  const ToolResult r = ServeAxfr(GetParam(), Tamper::kUnsignedMiddle);
  SCOPED_TRACE(r.output);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(ReportsTsigFailure(GetParam(), r.output));
  for (const std::string& owner : AxfrOwners()) {
    EXPECT_NE(r.output.find(owner), std::string::npos) << owner;
  }
}

INSTANTIATE_TEST_SUITE_P(Tools, InteropTest, ::testing::Values("kdig", "dig"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// kdig checks only the first message of a transfer (Knot 3.2, kdig_exec.c: "Verify 1.
// signature"); dig checks every one, so the chained MACs of later messages are proven here.
TEST(DigInteropTest, AxfrWithATamperedSecondMessageIsRejected) {
  ASSERT_FALSE(Tool("dig").empty()) << "dig is not installed: run scripts/deps.sh";
  const ToolResult good = ServeAxfr("dig", Tamper::kNone);
  EXPECT_FALSE(ReportsTsigFailure("dig", good.output)) << good.output;
  const ToolResult r = ServeAxfr("dig", Tamper::kSecondMac);
  SCOPED_TRACE(r.output);
  EXPECT_TRUE(ReportsTsigFailure("dig", r.output));
}

}  // namespace
}  // namespace interdict::dns
