#include "http/metrics.h"

#include <charconv>
#include <cmath>
#include <type_traits>
#include <variant>

#include "http/router.h"

namespace interdict::http {
namespace {

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void AppendNumber(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendLabelValue(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void AppendHelp(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

// `{a="x",b="y"` plus `extra` (e.g. `le="0.5"`), closed with '}'; nothing when both are empty.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out += names[i];
    out += "=\"";
    AppendLabelValue(out, i < values.size() ? values[i] : std::string_view());
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  AppendHelp(out, help);
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  // Few buckets: a linear scan beats a binary search.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string_view>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [v, child] : children_) {
    bool same = true;
    for (std::size_t i = 0; i < labels_.size() && same; ++i) {
      same = v[i] == (i < values.size() ? values[i] : std::string_view());
    }
    if (same) return *child;
  }
  std::vector<std::string> key;
  key.reserve(labels_.size());
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    key.emplace_back(i < values.size() ? values[i] : std::string_view());
  }
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) {
    child = std::make_unique<T>(bounds_);
  } else {
    child = std::make_unique<T>();
  }
  T& ref = *child;
  children_.emplace_back(std::move(key), std::move(child));
  return ref;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Metrics::Entry {
  std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
               std::unique_ptr<HistogramFamily>>
      family;
  const std::string& name() const {
    return std::visit([](const auto& f) -> const std::string& { return f->name(); }, family);
  }
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

namespace {

template <typename F, typename Entries, typename Make>
F& FindOrAdd(std::mutex& mu, Entries& entries, const std::string& name, Make make) {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& e : entries) {
    if (e.name() != name) continue;
    if (auto* f = std::get_if<std::unique_ptr<F>>(&e.family)) return **f;
    break;  // the same name with another type: register a second one (Render shows both)
  }
  auto family = make();
  F& ref = *family;
  entries.emplace_back().family = std::move(family);
  return ref;
}

}  // namespace

CounterFamily& Metrics::AddCounter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  const std::string key = name;
  return FindOrAdd<CounterFamily>(mu_, entries_, key, [&] {
    return std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                           std::move(label_names));
  });
}

GaugeFamily& Metrics::AddGauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  const std::string key = name;
  return FindOrAdd<GaugeFamily>(mu_, entries_, key, [&] {
    return std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names));
  });
}

HistogramFamily& Metrics::AddHistogram(std::string name, std::string help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> label_names) {
  const std::string key = name;
  return FindOrAdd<HistogramFamily>(mu_, entries_, key, [&] {
    return std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                             std::move(label_names), std::move(bounds));
  });
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard<std::mutex> lock(mu_);
  for (const Entry& e : entries_) {
    if (const auto* c = std::get_if<std::unique_ptr<CounterFamily>>(&e.family)) {
      const CounterFamily& f = **c;
      AppendHeader(out, f.name(), f.help(), "counter");
      f.ForEach([&](const std::vector<std::string>& values, const Counter& child) {
        out += f.name();
        AppendLabels(out, f.label_names(), values);
        out.push_back(' ');
        AppendNumber(out, child.Value());
        out.push_back('\n');
      });
    } else if (const auto* g = std::get_if<std::unique_ptr<GaugeFamily>>(&e.family)) {
      const GaugeFamily& f = **g;
      AppendHeader(out, f.name(), f.help(), "gauge");
      f.ForEach([&](const std::vector<std::string>& values, const Gauge& child) {
        out += f.name();
        AppendLabels(out, f.label_names(), values);
        out.push_back(' ');
        AppendNumber(out, child.Value());
        out.push_back('\n');
      });
    } else {
      const HistogramFamily& f = *std::get<std::unique_ptr<HistogramFamily>>(e.family);
      AppendHeader(out, f.name(), f.help(), "histogram");
      const std::string bucket = f.name() + "_bucket";
      f.ForEach([&](const std::vector<std::string>& values, const Histogram& child) {
        // Read the buckets first and derive the count from them, so that the +Inf bucket and
        // _count agree even while other threads observe.
        std::uint64_t cumulative = 0;
        std::string le;
        const std::size_t n = f.bounds().size();
        for (std::size_t i = 0; i <= n; ++i) {
          cumulative += child.BucketCount(i);
          le.clear();
          if (i == n) {
            le = "+Inf";
          } else {
            AppendNumber(le, f.bounds()[i]);
          }
          out += bucket;
          AppendLabels(out, f.label_names(), values, "le", le);
          out.push_back(' ');
          AppendNumber(out, cumulative);
          out.push_back('\n');
        }
        out += f.name();
        out += "_sum";
        AppendLabels(out, f.label_names(), values);
        out.push_back(' ');
        AppendNumber(out, child.Sum());
        out.push_back('\n');
        out += f.name();
        out += "_count";
        AppendLabels(out, f.label_names(), values);
        out.push_back(' ');
        AppendNumber(out, cumulative);
        out.push_back('\n');
      });
    }
  }
  return out;
}

void RegisterHealthAndMetrics(Router& router, Metrics& metrics) {
  router.Add("GET", "/healthz",
             [](const HttpRequest&) { return HttpResponse::Json(200, R"({"status":"ok"})"); });
  router.Add("GET", "/metrics", [&metrics](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.Render();
    return r;
  });
}

}  // namespace interdict::http
