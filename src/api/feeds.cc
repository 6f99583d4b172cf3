#include "api/feeds.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <utility>
#include <vector>

#include "core/digest.h"
#include "feed/follow.h"

namespace interdict::api {
namespace {

constexpr int kShieldKey = 4;  // the first element of a Shield document's key (views are 0-3)

bool IsV6(const std::string& value) {
  return value.find(':') != std::string::npos;
}

// The items of a Piracy Shield list, sorted and unique.
std::string ShieldText(const feed::ViewSet& view, ShieldList list) {
  std::vector<std::string> items;
  for (const feed::FeedEntry& e : view.entries) {
    const TargetKind k = e.target.kind;
    switch (list) {
      case ShieldList::kFqdn:
        if (k == TargetKind::kDomain || k == TargetKind::kDomainTree)
          items.push_back(e.target.value);
        break;
      case ShieldList::kIpv4:
      case ShieldList::kIpv6:
        if ((k == TargetKind::kIp || k == TargetKind::kCidr) &&
            IsV6(e.target.value) == (list == ShieldList::kIpv6)) {
          items.push_back(e.target.value);
        }
        break;
    }
  }
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += '\n';
    text += item;
  }
  return text;
}

}  // namespace

struct FeedPublisher::Views {
  Serial serial = 0;
  UnixTime serial_time = 0;  // when the serial was allocated: z-i's "Updated:" line
  std::array<feed::ViewSet, 4> sets;
};

struct FeedPublisher::Slot {
  std::mutex mu;  // held while the document is written: the others asking wait for it
  std::shared_ptr<const FeedDocument> document;
};

std::string_view FeedContentType(feed::FeedFormat format) {
  switch (format) {
    case feed::FeedFormat::kRpz: return "text/dns; charset=utf-8";  // RFC 4027
    case feed::FeedFormat::kJson: return "application/json";
    case feed::FeedFormat::kCsv: return "text/csv; charset=utf-8";
    case feed::FeedFormat::kZiCsv: return "text/csv; charset=windows-1251";
    default: return "text/plain; charset=utf-8";
  }
}

FeedPublisher::FeedPublisher(Registry& registry, FeedPublisherOptions options)
    : registry_(registry), options_(std::move(options)) {}

FeedPublisher::~FeedPublisher() = default;

Result<bool> FeedPublisher::Refresh() {
  std::shared_ptr<const Views> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current = views_;
  }
  std::vector<const feed::ViewSet*> followed;
  if (current) {
    for (const feed::ViewSet& v : current->sets) followed.push_back(&v);
  }
  ASSIGN_OR_RETURN(std::optional<feed::FollowStep> step,
                   feed::FollowRegistry(registry_, feed::kAllViews, followed));
  if (!step) return false;
  auto next = std::make_shared<Views>();
  for (std::size_t i = 0; i < next->sets.size(); ++i) next->sets[i] = std::move(step->views[i]);
  next->serial = next->sets[0].serial;
  ASSIGN_OR_RETURN(next->serial_time, feed::SerialTime(registry_, next->serial));
  {
    std::lock_guard<std::mutex> lock(mu_);
    views_ = next;
    cache_.clear();
    cached_deltas_ = 0;
  }
  serial_.store(next->serial, std::memory_order_release);
  return true;
}

Result<std::shared_ptr<const FeedDocument>> FeedPublisher::Snapshot(feed::View view,
                                                                    feed::FeedFormat format) {
  return Get({static_cast<int>(view), static_cast<int>(format), -1});
}

Result<std::shared_ptr<const FeedDocument>> FeedPublisher::Delta(feed::View view,
                                                                 feed::FeedFormat format,
                                                                 Serial since) {
  const Serial now = serial();
  if (since < 0) return Status::InvalidArgument("since: serials start at 0");
  if (now >= 0 && since > now) {
    return Status::InvalidArgument("since: serial " + std::to_string(since) +
                                   " is after the current serial " + std::to_string(now));
  }
  return Get({static_cast<int>(view), static_cast<int>(format), since});
}

Result<std::shared_ptr<const FeedDocument>> FeedPublisher::Shield(ShieldList list) {
  return Get({kShieldKey, static_cast<int>(list), -1});
}

Result<std::shared_ptr<const FeedDocument>> FeedPublisher::Get(const Key& key) {
  std::shared_ptr<const Views> views;
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!views_)
      return Status::FailedPrecondition("the feeds have not been read from the registry yet");
    views = views_;
    std::shared_ptr<Slot>& s = cache_[key];
    if (!s) {
      s = std::make_shared<Slot>();
      if (std::get<2>(key) >= 0 && ++cached_deltas_ > options_.max_cached_deltas) {
        // Too many different starting serials: forget the deltas kept so far (this one stays).
        for (auto it = cache_.begin(); it != cache_.end();) {
          if (std::get<2>(it->first) >= 0 && it->first != key) {
            it = cache_.erase(it);
          } else {
            ++it;
          }
        }
        cached_deltas_ = 1;
      }
    }
    slot = s;
  }
  std::lock_guard<std::mutex> lock(slot->mu);
  if (!slot->document) {
    // Errors are not kept: the next request tries again.
    ASSIGN_OR_RETURN(slot->document, Render(*views, key));
  }
  return slot->document;
}

Result<std::shared_ptr<const FeedDocument>> FeedPublisher::Render(const Views& views,
                                                                  const Key& key) {
  const auto [what, format_or_list, since] = key;
  if (what == kShieldKey) {
    const feed::ViewSet& isp = views.sets[static_cast<std::size_t>(feed::View::kIsp)];
    return Finish(views.serial, "text/plain; charset=utf-8",
                  ShieldText(isp, static_cast<ShieldList>(format_or_list)));
  }
  const feed::ViewSet& view = views.sets[static_cast<std::size_t>(what)];
  const auto format = static_cast<feed::FeedFormat>(format_or_list);
  feed::FormatOptions options = options_.format;
  options.updated_at = views.serial_time;
  std::ostringstream out;
  if (since < 0) {
    RETURN_IF_ERROR(feed::WriteView(view, format, options, out).status());
  } else {
    ASSIGN_OR_RETURN(feed::ViewDelta delta, feed::ReadDelta(registry_, view, since));
    RETURN_IF_ERROR(feed::WriteDelta(view, delta, format, options, out).status());
  }
  return Finish(views.serial, std::string(FeedContentType(format)), std::move(out).str());
}

std::shared_ptr<const FeedDocument> FeedPublisher::Finish(Serial serial, std::string content_type,
                                                          std::string body) const {
  auto doc = std::make_shared<FeedDocument>();
  doc->serial = serial;
  doc->content_type = std::move(content_type);
  doc->sha256 = Sha256Hex(body);
  if (options_.signing_key) {
    doc->signature = FormatSignature(SignBytes(*options_.signing_key, body));
  }
  doc->body = std::move(body);
  return doc;
}

}  // namespace interdict::api
