// Writes a synthetic z-i dump.csv (cp1251) with a given number of targets, for import
// benchmarks and crash tests. Deterministic for a given seed. Shapes follow the 2014 register:
// one record per decision line with an address, a host and a URL on that host; about one record
// in eight carries two addresses, one in twenty a `*.` mask, one in fifty a subnet; decisions
// are shared by several records now and then, and bodies are the register's real ones.
//
//   zi_generate TARGETS [SEED] > dump.csv
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {

// Bodies of the 2014 register, in cp1251 (Роскомнадзор, ФСКН, суд, Генпрокуратура,
// Роспотребнадзор).
const char* const kBodies[] = {"\xD0\xEE\xF1\xEA\xEE\xEC\xED\xE0\xE4\xE7\xEE\xF0",
                               "\xD4\xD1\xCA\xCD", "\xF1\xF3\xE4",
                               "\xC3\xE5\xED\xEF\xF0\xEE\xEA\xF3\xF0\xE0\xF2\xF3\xF0\xE0",
                               "\xD0\xEE\xF1\xEF\xEE\xF2\xF0\xE5\xE1\xED\xE0\xE4\xE7\xEE\xF0"};
const char* const kWords[] = {"stream", "kino",  "film",   "torrent", "live",  "sport", "music",
                              "free",   "hd",    "online", "watch",   "mp3",   "tube",  "warez",
                              "serial", "match", "tv",     "radio",   "books", "games"};
const char* const kTlds[] = {"com", "net", "org", "ru", "info", "to", "io", "tv", "me", "su"};

template <std::size_t N>
const char* Pick(std::mt19937_64& rng, const char* const (&list)[N]) {
  return list[rng() % N];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: zi_generate TARGETS [SEED] > dump.csv\n");
    return 2;
  }
  const std::uint64_t want = std::strtoull(argv[1], nullptr, 10);
  std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2014);
  std::printf("Updated: 2026-11-23 00:00:00 +0000\n");
  std::uint64_t written = 0;
  std::uint64_t decision = 0;
  std::string ips;
  std::string host;
  while (written < want) {
    if (rng() % 4 != 0) ++decision;  // a quarter of records share the previous decision
    const auto octet = [&rng](unsigned lo, unsigned hi) {
      return std::to_string(lo + static_cast<unsigned>(rng() % (hi - lo + 1)));
    };
    ips = octet(1, 223) + "." + octet(0, 255) + "." + octet(0, 255) + "." + octet(1, 254);
    ++written;
    if (rng() % 8 == 0 && written < want) {
      ips +=
          " | " + octet(1, 223) + "." + octet(0, 255) + "." + octet(0, 255) + "." + octet(1, 254);
      ++written;
    }
    if (rng() % 50 == 0 && written < want) {
      ips += " | " + octet(1, 223) + "." + octet(0, 255) + "." + octet(0, 255) + ".0/24";
      ++written;
    }
    host =
        std::string(Pick(rng, kWords)) + "-" + Pick(rng, kWords) + std::to_string(rng() % 1000000);
    if (rng() % 3 == 0) host = std::string(Pick(rng, kWords)) + "." + host;
    host += std::string(".") + Pick(rng, kTlds);
    std::string domains;
    std::string urls;
    if (written < want) {
      domains = rng() % 20 == 0 ? "*." + host : host;
      ++written;
    }
    if (written < want) {
      urls = "http://" + host + "/" + Pick(rng, kWords) + "/" + std::to_string(rng() % 10000000) +
             ".html";
      ++written;
    }
    std::printf("%s;%s;%s;%s;%llu-URL-on;2014-%02u-%02u\n", ips.c_str(), domains.c_str(),
                urls.c_str(), Pick(rng, kBodies), static_cast<unsigned long long>(decision),
                static_cast<unsigned>(1 + rng() % 12), static_cast<unsigned>(1 + rng() % 28));
  }
  return 0;
}
