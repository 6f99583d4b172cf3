// A small Prometheus registry: counters, gauges and histograms in families with a fixed set of
// label names, rendered in the text exposition format 0.0.4.
//
// Updates (Inc, Set, Observe) are single relaxed atomic operations on the child's own cache
// line. Looking a child up by label values (WithLabels) takes the family's mutex: callers on a
// hot path look a child up once and keep the reference (children live as long as the registry).
//
// Thread-safety: everything is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace interdict::http {

class Router;

class alignas(64) Counter {
 public:
  void Inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class alignas(64) Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);  // upper bounds, increasing, no +Inf
  void Observe(double v);
  std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  // Observations in bucket i alone (not cumulative); index bounds.size() is +Inf.
  std::uint64_t BucketCount(std::size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }

 private:
  const std::vector<double>& bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  alignas(64) std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds: 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its children, one per combination of label values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child with these label values (as many as label names; extra are ignored, missing are
  // empty), created on first use. The reference stays valid for the registry's lifetime.
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string_view>(values));
  }
  T& WithLabels(const std::vector<std::string_view>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return labels_; }
  const std::vector<double>& bounds() const { return bounds_; }  // histograms only

  // Calls f(label_values, child) for every child, in creation order, under the family's mutex.
  template <typename F>
  void ForEach(F&& f) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : children_) f(c.first, *c.second);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::deque<std::pair<std::vector<std::string>, std::unique_ptr<T>>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Registers a family, or returns the one already registered under that name (with its
  // original help and labels). Names must match [a-zA-Z_:][a-zA-Z0-9_:]*.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<double> bounds = DefaultLatencyBuckets(),
                                std::vector<std::string> label_names = {});

  // Every family in registration order, in the Prometheus text format 0.0.4.
  std::string Render() const;

 private:
  struct Entry;
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
};

// GET /healthz → {"status":"ok"}; GET /metrics → metrics.Render() as
// "text/plain; version=0.0.4". `metrics` must outlive the router's use.
void RegisterHealthAndMetrics(Router& router, Metrics& metrics);

}  // namespace interdict::http
