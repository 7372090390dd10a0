#include "bench/event_corpus.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

#include "common/clock.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace aidmp::bench {
namespace {

constexpr std::string_view kIdPlaceholder = "bench-0000000000000000";
static_assert(kIdPlaceholder.size() == kMessageIdChars);

constexpr std::array<std::string_view, 6> kUserAgents = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
};
constexpr std::array<std::string_view, 6> kLocales = {"en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "pt-BR"};
constexpr std::array<std::string_view, 5> kTimezones = {"America/New_York", "Europe/London", "Europe/Berlin",
                                                        "Asia/Tokyo", "America/Sao_Paulo"};
constexpr std::array<std::string_view, 5> kReferrers = {
    "https://www.google.com/", "https://www.facebook.com/", "https://t.co/", "", "https://news.ycombinator.com/"};
constexpr std::array<std::string_view, 8> kCategories = {"Shoes", "Jackets", "Bags", "Watches",
                                                         "Outdoor", "Kitchen", "Books", "Toys"};
constexpr std::array<std::string_view, 8> kAdjectives = {"Classic", "Trail", "Urban", "Vintage",
                                                         "Pro", "Lightweight", "Everyday", "Premium"};
constexpr std::array<std::string_view, 8> kNouns = {"Runner", "Parka", "Tote", "Chronograph",
                                                    "Tent", "Skillet", "Notebook", "Puzzle"};
constexpr std::array<std::string_view, 6> kBrands = {"Acme", "Northwind", "Globex", "Initech", "Umbrella", "Hooli"};
constexpr std::array<std::string_view, 5> kColors = {"red", "black", "navy", "olive", "sand"};
constexpr std::array<std::string_view, 7> kTrackEvents = {
    "Product Viewed", "Product Added", "Products Searched", "Checkout Started",
    "Order Completed", "Product List Viewed", "Promotion Clicked"};
constexpr std::array<std::string_view, 8> kFirstNames = {"Ana", "Ben", "Chloe", "Dmitri",
                                                         "Emeka", "Fatima", "Goro", "Hanna"};
constexpr std::array<std::string_view, 8> kLastNames = {"Silva", "Okafor", "Novak", "Tanaka",
                                                        "Schmidt", "Haddad", "Larsen", "Moreau"};
constexpr std::array<std::string_view, 6> kCities = {"Lisbon", "Lagos", "Prague", "Osaka", "Berlin", "Lyon"};
constexpr std::array<std::string_view, 3> kPlans = {"free", "plus", "business"};
constexpr std::array<std::string_view, 4> kCampaignSources = {"google", "newsletter", "facebook", "partner"};

constexpr size_t kMinEventBytes = 512;
constexpr size_t kMaxEventBytes = 1024;
constexpr int kUsers = 200000;
constexpr int kProducts = 5000;

template <typename T, size_t N>
std::string_view Pick(const std::array<T, N>& values, std::mt19937_64& rng) {
  return values[rng() % N];
}

std::string Hex(uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (int digit_idx = digits - 1; digit_idx >= 0; --digit_idx, value >>= 4) {
    out[digit_idx] = kDigits[value & 15];
  }
  return out;
}

// What a browser SDK knows about one visitor.
struct Visitor {
  int user = 0;
  std::string user_id;
  std::string anonymous_id;
  std::string ip;
  std::string_view user_agent;
  std::string_view locale;
  std::string_view timezone;
};

Visitor MakeVisitor(std::mt19937_64& rng) {
  Visitor visitor;
  visitor.user = static_cast<int>(rng() % kUsers);
  // A third of the traffic is not logged in.
  if (rng() % 3 != 0) visitor.user_id = StrCat("user-", visitor.user);
  std::mt19937_64 user_rng(static_cast<uint64_t>(visitor.user) * 7919 + 17);
  visitor.anonymous_id = StrCat(Hex(user_rng(), 8), "-", Hex(user_rng(), 4), "-4", Hex(user_rng(), 3), "-a",
                                Hex(user_rng(), 3), "-", Hex(user_rng(), 12));
  visitor.ip = StrCat(static_cast<int>(user_rng() % 223 + 1), ".", static_cast<int>(user_rng() % 256), ".",
                      static_cast<int>(user_rng() % 256), ".", static_cast<int>(user_rng() % 254 + 1));
  visitor.user_agent = kUserAgents[user_rng() % kUserAgents.size()];
  visitor.locale = kLocales[user_rng() % kLocales.size()];
  visitor.timezone = kTimezones[user_rng() % kTimezones.size()];
  return visitor;
}

struct Product {
  int id = 0;
  std::string sku;
  std::string name;
  std::string_view category;
  std::string_view brand;
  std::string_view variant;
  double price = 0;
  std::string path;
};

Product MakeProduct(std::mt19937_64& rng) {
  Product product;
  product.id = static_cast<int>(rng() % kProducts);
  std::mt19937_64 product_rng(static_cast<uint64_t>(product.id) * 104729 + 3);
  product.sku = StrCat("SKU-", 100000 + product.id);
  product.category = kCategories[product_rng() % kCategories.size()];
  product.name = StrCat(kAdjectives[product_rng() % kAdjectives.size()], " ",
                        kNouns[product_rng() % kNouns.size()], " ", product.id % 97);
  product.brand = kBrands[product_rng() % kBrands.size()];
  product.variant = kColors[product_rng() % kColors.size()];
  product.price = static_cast<double>(product_rng() % 30000 + 499) / 100.0;
  product.path = StrCat("/products/", AsciiToLower(product.category), "/", product.sku);
  return product;
}

void WriteContext(const Visitor& visitor, std::string_view path, std::string_view title,
                  std::mt19937_64& rng, JsonWriter& writer) {
  std::string_view referrer = Pick(kReferrers, rng);
  bool campaign = rng() % 4 == 0;
  std::string search = campaign ? StrCat("?utm_source=", Pick(kCampaignSources, rng), "&utm_medium=cpc") : "";
  std::string url = StrCat("https://shop.example.com", path, search);
  writer.Key("context").BeginObject();
  writer.Key("ip").String(visitor.ip);
  writer.Key("userAgent").String(visitor.user_agent);
  writer.Key("locale").String(visitor.locale);
  writer.Key("timezone").String(visitor.timezone);
  writer.Key("page").BeginObject();
  writer.Key("path").String(path);
  writer.Key("referrer").String(referrer);
  writer.Key("search").String(search);
  writer.Key("title").String(title);
  writer.Key("url").String(url);
  writer.EndObject();
  writer.Key("library").BeginObject().Key("name").String("analytics.js").Key("version").String("next-1.53.0");
  writer.EndObject();
  if (campaign) {
    writer.Key("campaign").BeginObject();
    writer.Key("name").String(StrCat("spring-sale-", rng() % 12));
    writer.Key("source").String(Pick(kCampaignSources, rng));
    writer.Key("medium").String("cpc");
    writer.EndObject();
  }
  writer.EndObject();
}

void WriteCommon(std::string_view type, const Visitor& visitor, int64_t ts_us, JsonWriter& writer) {
  writer.Key("type").String(type);
  writer.Key("messageId").String(kIdPlaceholder);
  if (!visitor.user_id.empty()) writer.Key("userId").String(visitor.user_id);
  writer.Key("anonymousId").String(visitor.anonymous_id);
  writer.Key("timestamp").String(FormatIso8601Micros(ts_us));
}

std::string TrackEvent(const Visitor& visitor, int64_t ts_us, std::mt19937_64& rng) {
  Product product = MakeProduct(rng);
  std::string_view name = Pick(kTrackEvents, rng);
  JsonWriter writer;
  writer.BeginObject();
  WriteCommon("track", visitor, ts_us, writer);
  writer.Key("event").String(name);
  writer.Key("properties").BeginObject();
  writer.Key("product_id").String(StrCat(product.id));
  writer.Key("sku").String(product.sku);
  writer.Key("category").String(product.category);
  writer.Key("name").String(product.name);
  writer.Key("brand").String(product.brand);
  writer.Key("variant").String(product.variant);
  writer.Key("price").Double(product.price);
  writer.Key("quantity").Int(static_cast<int64_t>(rng() % 3 + 1));
  writer.Key("currency").String("USD");
  writer.Key("position").Int(static_cast<int64_t>(rng() % 24 + 1));
  if (name == "Order Completed") {
    writer.Key("order_id").String(StrCat("ord-", rng() % 100000000));
    writer.Key("revenue").Double(product.price);
  }
  writer.EndObject();
  WriteContext(visitor, product.path, product.name, rng, writer);
  writer.EndObject();
  return writer.Take();
}

std::string PageEvent(const Visitor& visitor, int64_t ts_us, std::mt19937_64& rng) {
  Product product = MakeProduct(rng);
  std::string title = StrCat(product.name, " | Example Shop");
  JsonWriter writer;
  writer.BeginObject();
  WriteCommon("page", visitor, ts_us, writer);
  writer.Key("name").String("Product Detail");
  writer.Key("properties").BeginObject();
  writer.Key("path").String(product.path);
  writer.Key("title").String(title);
  writer.Key("url").String(StrCat("https://shop.example.com", product.path));
  writer.Key("category").String(product.category);
  writer.EndObject();
  WriteContext(visitor, product.path, title, rng, writer);
  writer.EndObject();
  return writer.Take();
}

std::string IdentifyEvent(const Visitor& visitor, int64_t ts_us, std::mt19937_64& rng) {
  std::mt19937_64 user_rng(static_cast<uint64_t>(visitor.user) * 31 + 5);
  std::string_view first = kFirstNames[user_rng() % kFirstNames.size()];
  std::string_view last = kLastNames[user_rng() % kLastNames.size()];
  JsonWriter writer;
  writer.BeginObject();
  WriteCommon("identify", visitor, ts_us, writer);
  writer.Key("traits").BeginObject();
  writer.Key("email").String(StrCat(AsciiToLower(first), ".", AsciiToLower(last), visitor.user, "@example.com"));
  writer.Key("firstName").String(first);
  writer.Key("lastName").String(last);
  writer.Key("plan").String(kPlans[user_rng() % kPlans.size()]);
  writer.Key("age").Int(static_cast<int64_t>(user_rng() % 50 + 18));
  writer.Key("createdAt").String(FormatIso8601Micros(ts_us - static_cast<int64_t>(user_rng() % 700) * kMicrosPerDay));
  writer.Key("address").BeginObject();
  writer.Key("city").String(kCities[user_rng() % kCities.size()]);
  writer.Key("postalCode").String(StrCat(10000 + user_rng() % 89999));
  writer.EndObject();
  writer.EndObject();
  WriteContext(visitor, "/account", "Your account | Example Shop", rng, writer);
  writer.EndObject();
  return writer.Take();
}

// COPY text format: backslash, and the characters that delimit fields and rows.
void AppendCopyEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default: out->push_back(c);
    }
  }
}

// splitmix64's finaliser: a bijection on 64-bit integers.
uint64_t ScrambleId(uint64_t id) {
  id = (id ^ (id >> 30)) * 0xbf58476d1ce4e5b9ULL;
  id = (id ^ (id >> 27)) * 0x94d049bb133111ebULL;
  return id ^ (id >> 31);
}

BatchTemplate MakeBatch(const std::vector<EventTemplate>& events, int64_t sent_at_us) {
  BatchTemplate batch;
  std::string& http = batch.http_body.bytes;
  http = "{\"batch\":[";
  for (uint32_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    const EventTemplate& event = events[event_idx];
    if (event_idx > 0) http.push_back(',');
    batch.http_body.slots.push_back({http.size() + event.id_offset, event_idx});
    batch.event_spans.emplace_back(http.size(), http.size() + event.json.size());
    http.append(event.json);

    std::string& params = batch.pg_params.bytes;
    batch.pg_param_offsets.push_back(params.size());
    batch.pg_params.slots.push_back({params.size(), event_idx});
    params.append(kIdPlaceholder);
    params.push_back('\0');
    batch.pg_param_offsets.push_back(params.size());
    batch.pg_params.slots.push_back({params.size() + event.id_offset, event_idx});
    params.append(event.json);
    params.push_back('\0');

    std::string& copy = batch.copy_text.bytes;
    batch.copy_text.slots.push_back({copy.size(), event_idx});
    copy.append(kIdPlaceholder);
    copy.push_back('\t');
    std::string escaped;
    AppendCopyEscaped(event.json, &escaped);
    // The placeholder has nothing to escape, so it is found again in the escaped text.
    batch.copy_text.slots.push_back({copy.size() + escaped.find(kIdPlaceholder), event_idx});
    copy.append(escaped);
    copy.push_back('\n');
  }
  StrAppend(&http, "],\"sentAt\":\"", FormatIso8601Micros(sent_at_us), "\"}");
  return batch;
}

}  // namespace

void StampIds(const StampedBody& body, uint64_t first_id, std::string* out) {
  out->assign(body.bytes);
  static constexpr char kDigits[] = "0123456789abcdef";
  for (const IdSlot& slot : body.slots) {
    // Scrambled by a bijection, so ids stay unique but arrive in random order, as
    // clients' random messageIds do (sequential ids would flatter every store).
    uint64_t id = ScrambleId(first_id + slot.event_idx);
    char* digits = out->data() + slot.offset + 6;  // after "bench-"
    for (int digit_idx = 15; digit_idx >= 0; --digit_idx, id >>= 4) digits[digit_idx] = kDigits[id & 15];
  }
}

EventCorpus EventCorpus::Generate(size_t batch_count, size_t events_per_batch, uint64_t seed) {
  EventCorpus corpus;
  corpus.events_per_batch_ = events_per_batch;
  std::mt19937_64 rng(seed);
  int64_t now_us = SystemClock::Default()->NowMicros();
  CorpusStats& stats = corpus.stats_;
  stats.min_event_bytes = SIZE_MAX;
  double total_event_bytes = 0;
  double total_body_bytes = 0;
  for (size_t batch_idx = 0; batch_idx < batch_count; ++batch_idx) {
    std::vector<EventTemplate> events;
    for (size_t event_idx = 0; event_idx < events_per_batch; ++event_idx) {
      uint64_t kind = rng() % 10;  // 6 track : 3 page : 1 identify
      EventTemplate event;
      event.is_track = kind < 6;
      // Redrawn until it is 0.5-1 KB, the size the issue asks about.
      while (event.json.size() < kMinEventBytes || event.json.size() > kMaxEventBytes) {
        Visitor visitor = MakeVisitor(rng);
        // Queued in the browser for up to a minute before the batch was sent.
        int64_t ts_us = now_us - static_cast<int64_t>(rng() % kMicrosPerMinute);
        event.json = kind < 6   ? TrackEvent(visitor, ts_us, rng)
                     : kind < 9 ? PageEvent(visitor, ts_us, rng)
                                : IdentifyEvent(visitor, ts_us, rng);
      }
      ++(kind < 6 ? stats.track : kind < 9 ? stats.page : stats.identify);
      event.id_offset = event.json.find(kIdPlaceholder);
      stats.min_event_bytes = std::min(stats.min_event_bytes, event.json.size());
      stats.max_event_bytes = std::max(stats.max_event_bytes, event.json.size());
      total_event_bytes += static_cast<double>(event.json.size());
      if (event.is_track) corpus.track_events_.push_back(event);
      events.push_back(std::move(event));
    }
    corpus.batches_.push_back(MakeBatch(events, now_us));
    total_body_bytes += static_cast<double>(corpus.batches_.back().http_body.bytes.size());
  }
  stats.events = batch_count * events_per_batch;
  if (stats.events == 0) stats.min_event_bytes = 0;
  stats.mean_event_bytes = stats.events > 0 ? total_event_bytes / static_cast<double>(stats.events) : 0;
  stats.mean_batch_body_bytes = batch_count > 0 ? total_body_bytes / static_cast<double>(batch_count) : 0;
  return corpus;
}

}  // namespace aidmp::bench
