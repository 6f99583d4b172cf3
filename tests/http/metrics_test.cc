// The Prometheus registry: the text format 0.0.4, label escaping, and concurrent updates.
#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "http/router.h"

namespace interdict::http {
namespace {

TEST(Metrics, RendersTextFormat) {
  Metrics m;
  CounterFamily& requests =
      m.AddCounter("app_requests_total", "Requests.\nTwo lines \\ here.", {"method", "code"});
  requests.WithLabels({"GET", "200"}).Inc(3);
  requests.WithLabels({"GET", "404"}).Inc();
  requests.WithLabels({"GET", "200"}).Inc();
  EXPECT_EQ(&m.AddCounter("app_requests_total", "ignored", {}), &requests);
  m.AddGauge("app_connections", "Open connections.").WithLabels({}).Set(2);
  m.AddCounter("app_weird", "Escapes.", {"v"}).WithLabels({"a\"b\\c\nd"}).Inc(7);
  Histogram& h = m.AddHistogram("app_seconds", "Latency.", {0.1, 1}).WithLabels({});
  h.Observe(0.05);
  h.Observe(0.1);
  h.Observe(0.5);
  h.Observe(3);

  EXPECT_EQ(m.Render(),
            "# HELP app_requests_total Requests.\\nTwo lines \\\\ here.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{method=\"GET\",code=\"200\"} 4\n"
            "app_requests_total{method=\"GET\",code=\"404\"} 1\n"
            "# HELP app_connections Open connections.\n"
            "# TYPE app_connections gauge\n"
            "app_connections 2\n"
            "# HELP app_weird Escapes.\n"
            "# TYPE app_weird counter\n"
            "app_weird{v=\"a\\\"b\\\\c\\nd\"} 7\n"
            "# HELP app_seconds Latency.\n"
            "# TYPE app_seconds histogram\n"
            "app_seconds_bucket{le=\"0.1\"} 2\n"
            "app_seconds_bucket{le=\"1\"} 3\n"
            "app_seconds_bucket{le=\"+Inf\"} 4\n"
            "app_seconds_sum 3.65\n"
            "app_seconds_count 4\n");
}

TEST(Metrics, HistogramWithLabels) {
  Metrics m;
  HistogramFamily& f = m.AddHistogram("lat", "L.", {1}, {"route"});
  f.WithLabels({"/a"}).Observe(0.5);
  const std::string text = m.Render();
  EXPECT_NE(text.find("lat_bucket{route=\"/a\",le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_count{route=\"/a\"} 1\n"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentIncrements) {
  Metrics m;
  Counter& c = m.AddCounter("c_total", "C.").WithLabels({});
  Histogram& h = m.AddHistogram("h", "H.").WithLabels({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Inc();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000u);
  EXPECT_EQ(h.Count(), 40000u);
  EXPECT_NEAR(h.Sum(), 40.0, 1e-6);
}

TEST(Metrics, HealthAndMetricsRoutes) {
  Metrics m;
  m.AddCounter("x_total", "X.").WithLabels({}).Inc();
  Router router;
  RegisterHealthAndMetrics(router, m);
  HttpRequest health;
  health.method = "GET";
  ASSERT_TRUE(ParseTarget("/healthz", health).ok());
  const HttpResponse h = router.Dispatch(health);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  HttpRequest metrics;
  metrics.method = "GET";
  ASSERT_TRUE(ParseTarget("/metrics", metrics).ok());
  const HttpResponse r = router.Dispatch(metrics);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(r.body.find("x_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace interdict::http
