#include "sim/shop_simulator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <numbers>
#include <string_view>
#include <tuple>

#include "common/clock.h"
#include "common/json_writer.h"
#include "common/time_format.h"

namespace aidmp::sim {
namespace {

constexpr std::string_view kShopUrl = "https://shop.example.com";
constexpr std::string_view kShopName = "Demo Shop";
// Sessions of one agent are at least this far apart, so that sessionising on 30 minutes
// of inactivity recovers them.
constexpr int64_t kSessionGapUs = 30 * kMicrosPerMinute;
constexpr int64_t kMicrosPerMilli = 1000;
constexpr int64_t kMaxDwellUs = 5 * kMicrosPerMinute;
// A registered shopper's first session starts at least this long before the end of the
// period, so that the login early in it is always emitted.
constexpr int64_t kFirstSessionSlackUs = 20 * kMicrosPerMinute;

struct CategorySpec {
  std::string_view name;
  double median_price;
  std::array<std::string_view, 3> nouns;
};
constexpr CategorySpec kCategorySpecs[] = {
    {"electronics", 120, {"Wireless Earbuds", "Bluetooth Speaker", "USB-C Hub"}},
    {"books", 15, {"Cookbook", "Biography", "Travel Guide"}},
    {"sci-fi", 12, {"Space Opera", "Cyberpunk Novel", "Time Travel Saga"}},
    {"home & kitchen", 40, {"Chef's Knife", "Cast Iron Pan", "Coffee Grinder"}},
    {"fashion", 45, {"Denim Jacket", "Linen Shirt", "Wool Scarf"}},
    {"sports & outdoors", 55, {"Yoga Mat", "Trail Backpack", "Camping Stove"}},
    {"toys & games", 25, {"Board Game", "Jigsaw Puzzle", "Building Set"}},
    {"beauty", 22, {"Face Serum", "Lip Balm", "Shampoo"}},
    {"garden", 30, {"Pruning Shears", "Planter", "Seed Kit"}},
    {"music", 18, {"Vinyl Record", "Guitar Strings", "Ukulele"}},
    {"video games", 50, {"Console Game", "Controller", "Gaming Headset"}},
    {"pet supplies", 20, {"Dog Leash", "Cat Tree", "Pet Bed"}},
    {"office", 25, {"Notebook", "Desk Lamp", "Fountain Pen"}},
    {"health", 20, {"Vitamin D", "Massage Gun", "Thermometer"}},
    {"jewelry", 80, {"Silver Ring", "Pendant", "Bracelet"}},
    {"baby", 30, {"Baby Monitor", "Stroller Organiser", "Swaddle"}},
    {"tools", 45, {"Cordless Drill", "Socket Set", "Tape Measure"}},
    {"movies", 15, {"Blu-ray Box Set", "Documentary", "Classic Film"}},
    {"shoes", 70, {"Running Shoes", "Leather Boots", "Sneakers"}},
    {"watches", 150, {"Dive Watch", "Chronograph", "Fitness Tracker"}},
};
constexpr std::string_view kAdjectives[] = {"Classic", "Deluxe", "Compact", "Eco", "Premium",
                                            "Everyday", "Vintage", "Pro", "Essential", "Ultra"};

struct CountrySpec {
  std::string_view code, locale, timezone, ip_prefix;
  int utc_offset_min;  // standard time; daylight saving is ignored
  double weight;
};
constexpr CountrySpec kCountries[] = {
    {"US", "en-US", "America/New_York", "73.", -300, 30},
    {"GB", "en-GB", "Europe/London", "81.", 0, 10},
    {"DE", "de-DE", "Europe/Berlin", "91.", 60, 12},
    {"FR", "fr-FR", "Europe/Paris", "90.", 60, 8},
    {"ES", "es-ES", "Europe/Madrid", "88.", 60, 5},
    {"IT", "it-IT", "Europe/Rome", "79.", 60, 5},
    {"NL", "nl-NL", "Europe/Amsterdam", "77.", 60, 4},
    {"SE", "sv-SE", "Europe/Stockholm", "83.", 60, 3},
    {"PL", "pl-PL", "Europe/Warsaw", "89.", 60, 4},
    {"BR", "pt-BR", "America/Sao_Paulo", "177.", -180, 5},
    {"IN", "en-IN", "Asia/Kolkata", "49.", 330, 5},
    {"JP", "ja-JP", "Asia/Tokyo", "126.", 540, 4},
    {"AU", "en-AU", "Australia/Sydney", "101.", 600, 3},
    {"CA", "en-CA", "America/Toronto", "142.", -300, 4},
};

constexpr std::string_view kDesktopAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
};
struct MobileSpec {
  std::string_view user_agent, manufacturer, model, os;
};
constexpr MobileSpec kMobiles[] = {
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
     "Apple", "iPhone15,2", "iOS"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Mobile Safari/537.36",
     "Google", "Pixel 8", "Android"},
    {"Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Mobile Safari/537.36",
     "samsung", "SM-S911B", "Android"},
};
// Bots crawl from data-centre addresses.
struct BotSpec {
  std::string_view user_agent, ip_prefix;
};
constexpr BotSpec kBots[] = {
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249."},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "157.55."},
    {"python-requests/2.31.0", "34."},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/120.0.6099.109 Safari/537.36",
     "35."},
};

// The first entry is a direct visit.
constexpr std::string_view kReferrers[] = {
    "", "https://www.google.com/", "https://www.bing.com/", "https://www.instagram.com/",
    "https://www.facebook.com/", "https://newsletter.example.org/"};
constexpr std::string_view kFirstNames[] = {
    "Anna", "Ben",  "Chloe", "David", "Elena", "Felix", "Grace", "Hiro",  "Isabel", "Jonas",
    "Kira", "Liam", "Maya",  "Noah",  "Olga",  "Pedro", "Qiu",   "Rosa",  "Sam",    "Tara"};
constexpr std::string_view kLastNames[] = {
    "Schmidt", "Garcia", "Smith",  "Rossi", "Kowalski", "Tanaka", "Silva",  "Martin",
    "Jansen",  "Berg",   "Patel",  "Brown", "Dubois",   "Moreau", "Nguyen", "Lopez"};
constexpr std::string_view kEmailDomains[] = {"example.com", "example.org", "example.net"};

// Relative session intensity by local hour: quiet nights, a lunch bump, busy evenings.
constexpr double kHourlyRhythm[24] = {0.35, 0.2,  0.12, 0.08, 0.07, 0.1,  0.25, 0.5,
                                      0.75, 0.85, 0.9,  0.95, 1.05, 1.0,  0.9,  0.9,
                                      0.95, 1.05, 1.3,  1.65, 1.95, 2.0,  1.55, 0.9};
constexpr double kRhythmMean = [] {
  double sum = 0;
  for (double weight : kHourlyRhythm) sum += weight;
  return sum / 24;
}();
constexpr double kRhythmPeak = [] {
  double peak = 0;
  for (double weight : kHourlyRhythm) peak = std::max(peak, weight);
  return peak;
}();

enum class Kind : uint8_t { kIdentify, kPage, kProductViewed, kProductAdded, kOrderCompleted };
enum class PageKind : uint8_t { kNone, kHome, kCategory, kProduct, kLogin, kCheckout };
struct Page {
  PageKind kind = PageKind::kNone;
  size_t index = 0;  // the category or item shown
};

enum Fault : int {
  kNoFault = 0,
  kMissingIds,
  kNoEventName,
  kPropertiesString,
  kBadTimestamp,
  kLongMessageId,
  kFaultCount,
};

int64_t FloorDiv(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  return quotient * divisor > value ? quotient - 1 : quotient;
}
int64_t FloorToMillis(int64_t ts_us) {
  return FloorDiv(ts_us, kMicrosPerMilli) * kMicrosPerMilli;
}

// "2026-11-28T10:00:00.123Z", the precision analytics.js sends.
std::string IsoMillis(int64_t ts_us) {
  std::string iso = FormatIso8601Micros(ts_us);
  iso.erase(iso.size() - 4, 3);
  return iso;
}

// Joins pieces. absl::StrCat is not used: some absl builds (Debian's) have their own
// string_view type that std::string_view does not convert to.
std::string Concat(std::initializer_list<std::string_view> pieces) {
  size_t size = 0;
  for (std::string_view piece : pieces) size += piece.size();
  std::string joined;
  joined.reserve(size);
  for (std::string_view piece : pieces) joined.append(piece);
  return joined;
}

std::string AsciiLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string AsciiUpper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// "home & kitchen" -> "home-and-kitchen".
std::string Slug(std::string_view name) {
  std::string slug;
  for (char c : name) {
    if (c == '&') {
      slug += "and";
    } else {
      slug += c == ' ' ? '-' : c;
    }
  }
  return slug;
}

double RoundCents(double amount) { return std::round(amount * 100) / 100; }

std::string_view TypeName(Kind kind) {
  switch (kind) {
    case Kind::kIdentify:
      return "identify";
    case Kind::kPage:
      return "page";
    default:
      return "track";
  }
}

std::string_view EventName(Kind kind) {
  switch (kind) {
    case Kind::kProductViewed:
      return "Product Viewed";
    case Kind::kProductAdded:
      return "Product Added";
    default:
      return "Order Completed";
  }
}

struct Device {
  // The context that does not change, built once: {"ip":...,"userAgent":...,...}.
  std::string context_json;
  bool logged_in = false;
};

// `mobile` is null for desktop browsers and bots, which have no context.device.
Device MakeDevice(const CountrySpec& country, std::string_view ip, std::string_view user_agent,
                  const MobileSpec* mobile, std::string_view device_id) {
  JsonWriter json;
  json.BeginObject()
      .Key("ip").String(ip)
      .Key("locale").String(country.locale)
      .Key("timezone").String(country.timezone)
      .Key("userAgent").String(user_agent)
      .Key("library").BeginObject()
      .Key("name").String("analytics.js")
      .Key("version").String("next-1.70.0")
      .EndObject();
  if (mobile) {
    json.Key("device").BeginObject()
        .Key("id").String(device_id)
        .Key("manufacturer").String(mobile->manufacturer)
        .Key("model").String(mobile->model)
        .Key("type").String("mobile")
        .EndObject();
    json.Key("os").BeginObject().Key("name").String(mobile->os).EndObject();
  }
  json.EndObject();
  return Device{json.Take()};
}

}  // namespace

struct ShopSimulator::Planned {
  int64_t ts_us;
  Kind kind;
  bool with_user_id;
  Page page;      // what the browser shows
  Page referrer;  // kNone: the session's external referrer
  size_t item = 0;
  int quantity = 0;
  uint64_t order_number = 0;
  bool coupon = false;
};

struct ShopSimulator::Agent {
  size_t shopper_idx = 0;
  const CountrySpec* country = nullptr;
  std::string name;
  std::string_view plan;
  bool registered = false;
  bool identified = false;
  double sessions_per_day = 0;
  std::vector<Device> devices;
  std::vector<std::pair<size_t, double>> tastes;  // (category, weight)
  // The current session.
  size_t device_idx = 0;
  size_t referrer_idx = 0;
  std::string cart_id;
  std::vector<std::pair<size_t, int>> cart;  // (item, quantity)
  std::vector<Planned> plan_events;
  size_t plan_pos = 0;
};

ShopSimulator::Rng::Rng(uint64_t seed) : engine_(seed) {}

double ShopSimulator::Rng::Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

size_t ShopSimulator::Rng::Below(size_t n) {
  return std::min(n - 1, static_cast<size_t>(Uniform() * static_cast<double>(n)));
}

double ShopSimulator::Rng::Exponential(double rate) { return -std::log1p(-Uniform()) / rate; }

double ShopSimulator::Rng::Normal() {
  double radius = std::sqrt(-2 * std::log(1 - Uniform()));
  return radius * std::cos(2 * std::numbers::pi * Uniform());
}

std::string ShopSimulator::Rng::Hex(int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(static_cast<size_t>(digits), '0');
  uint64_t bits = 0;
  for (int digit_idx = 0; digit_idx < digits; ++digit_idx) {
    if (digit_idx % 16 == 0) bits = engine_();
    hex[digit_idx] = kHex[bits & 15];
    bits >>= 4;
  }
  return hex;
}

std::string ShopSimulator::Rng::Ipv4(std::string_view prefix) {
  std::string address(prefix);
  for (auto dots = std::count(prefix.begin(), prefix.end(), '.'); dots < 4; ++dots) {
    address += std::to_string(1 + Below(254));
    if (dots < 3) address += '.';
  }
  return address;
}

std::string ShopSimulator::Rng::Uuid() {
  std::string hex = Hex(32);
  hex[12] = '4';
  hex[16] = "89ab"[Below(4)];
  return Concat({hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                 hex.substr(16, 4), "-", hex.substr(20)});
}

ShopSimulator::ShopSimulator(const ShopOptions& options)
    : options_(options), rng_(options.seed) {
  options_.shoppers = std::max(options_.shoppers, 0);
  options_.items = std::max(options_.items, 1);
  options_.categories = std::clamp(options_.categories, 1, options_.items);
  options_.days = std::max(options_.days, 1);
  options_.bot_fraction = std::max(options_.bot_fraction, 0.0);
  options_.malformed_rate = std::clamp(options_.malformed_rate, 0.0, 0.45);
  options_.duplicate_rate = std::clamp(options_.duplicate_rate, 0.0, 0.45);
  // Both are extras on top of the well-formed messages, sized so that they end up as the
  // requested fractions of everything emitted.
  double well_formed_share = 1 - options_.malformed_rate - options_.duplicate_rate;
  malformed_chance_ = options_.malformed_rate / well_formed_share;
  duplicate_chance_ = options_.duplicate_rate / well_formed_share;
  end_us_ = FloorToMillis(options_.end_time_us);
  start_us_ = -FloorToMillis(-(options_.end_time_us - options_.days * kMicrosPerDay));

  BuildCatalogue();
  BuildShoppers();
  for (size_t agent_idx = 0; agent_idx < agents_.size(); ++agent_idx) {
    const Agent& agent = agents_[agent_idx];
    int64_t start_us = NextSessionStart(agent, start_us_);
    if (!shoppers_[agent_idx].is_bot) {
      // Every human visits at least once; a registered one early enough to log in.
      int64_t latest_us = agent.registered ? end_us_ - kFirstSessionSlackUs : end_us_;
      while (start_us < 0 || start_us > latest_us) {
        auto candidate_us = static_cast<int64_t>(static_cast<double>(start_us_) +
                                                 rng_.Uniform() * (latest_us - start_us_));
        if (AcceptByRhythm(agent, candidate_us)) start_us = FloorToMillis(candidate_us);
      }
    }
    if (start_us >= 0) agenda_.push({start_us, agent_idx});
  }
}

ShopSimulator::~ShopSimulator() = default;

void ShopSimulator::BuildCatalogue() {
  size_t categories = static_cast<size_t>(options_.categories);
  std::vector<double> median_prices;
  for (size_t category_idx = 0; category_idx < categories; ++category_idx) {
    if (category_idx < std::size(kCategorySpecs)) {
      category_names_.emplace_back(kCategorySpecs[category_idx].name);
      median_prices.push_back(kCategorySpecs[category_idx].median_price);
    } else {
      category_names_.push_back(Concat({"category-", std::to_string(category_idx + 1)}));
      median_prices.push_back(30);
    }
  }
  category_items_.assign(categories, {});
  category_cumulative_.assign(categories, {});
  for (size_t item_idx = 0; item_idx < static_cast<size_t>(options_.items); ++item_idx) {
    size_t category_idx = item_idx % categories;
    size_t rank = item_idx / categories;
    std::string_view noun = category_idx < std::size(kCategorySpecs)
                                ? kCategorySpecs[category_idx].nouns[rng_.Below(3)]
                                : "Item";
    double price = median_prices[category_idx] * std::exp(0.55 * rng_.Normal());
    char id[32];
    std::snprintf(id, sizeof(id), "prod-%05zu", item_idx + 1);
    catalogue_.push_back(Item{
        id,
        Concat({kAdjectives[rng_.Below(std::size(kAdjectives))], " ", noun, " ",
                std::to_string(100 + rng_.Below(900))}),
        category_names_[category_idx], std::floor(price) + 0.99});
    // Zipf popularity within the category: the rank-th item is seen ~1/rank^1.1 as often.
    double weight = std::pow(static_cast<double>(rank + 1), -1.1);
    std::vector<double>& cumulative = category_cumulative_[category_idx];
    cumulative.push_back((cumulative.empty() ? 0 : cumulative.back()) + weight);
    category_items_[category_idx].push_back(item_idx);
  }
}

void ShopSimulator::BuildShoppers() {
  size_t humans = static_cast<size_t>(options_.shoppers);
  size_t bots = static_cast<size_t>(std::llround(humans * options_.bot_fraction));
  for (size_t human_idx = 0; human_idx < humans; ++human_idx) AddHuman();
  for (size_t bot_idx = 0; bot_idx < bots; ++bot_idx) AddBot();
}

void ShopSimulator::AddHuman() {
  Shopper shopper;
  Agent agent;
  agent.shopper_idx = shoppers_.size();
  double country_total = 0;
  for (const CountrySpec& country : kCountries) country_total += country.weight;
  double country_pick = rng_.Uniform() * country_total;
  agent.country = &kCountries[std::size(kCountries) - 1];
  for (const CountrySpec& country : kCountries) {
    if (country_pick < country.weight) {
      agent.country = &country;
      break;
    }
    country_pick -= country.weight;
  }
  shopper.country = agent.country->code;
  std::string_view first = kFirstNames[rng_.Below(std::size(kFirstNames))];
  std::string_view last = kLastNames[rng_.Below(std::size(kLastNames))];
  agent.name = Concat({first, " ", last});
  agent.registered = rng_.Chance(0.8);
  if (agent.registered) {
    shopper.user_id = "usr_" + rng_.Hex(16);
    // The index keeps emails unique, so that no two people merge by email.
    shopper.email = AsciiLower(Concat({first, ".", last, std::to_string(agent.shopper_idx), "@",
                                       kEmailDomains[rng_.Below(std::size(kEmailDomains))]}));
  }
  double plan_pick = rng_.Uniform();
  agent.plan = plan_pick < 0.7 ? "free" : plan_pick < 0.92 ? "plus" : "pro";
  agent.sessions_per_day = 0.35 * std::exp(0.9 * rng_.Normal());

  double devices_pick = rng_.Uniform();
  int device_count = devices_pick < 0.65 ? 1 : devices_pick < 0.9 ? 2 : 3;
  bool mobile = rng_.Chance(0.5);
  for (int device_idx = 0; device_idx < device_count; ++device_idx) {
    std::string ip = rng_.Ipv4(agent.country->ip_prefix);
    shopper.anonymous_ids.push_back(rng_.Uuid());
    if (mobile) {
      const MobileSpec& spec = kMobiles[rng_.Below(std::size(kMobiles))];
      // iOS vendor ids are upper-case UUIDs; Android ids are 16 hex digits.
      shopper.device_ids.push_back(spec.os == "iOS" ? AsciiUpper(rng_.Uuid()) : rng_.Hex(16));
      agent.devices.push_back(
          MakeDevice(*agent.country, ip, spec.user_agent, &spec, shopper.device_ids.back()));
    } else {
      shopper.device_ids.emplace_back();
      agent.devices.push_back(MakeDevice(
          *agent.country, ip, kDesktopAgents[rng_.Below(std::size(kDesktopAgents))], nullptr, ""));
    }
    // A second device is usually of the other kind: a laptop and a phone.
    if (rng_.Chance(0.7)) mobile = !mobile;
  }

  // Tastes are Dirichlet(1, ..., 1) over 2-4 distinct categories.
  size_t categories = category_names_.size();
  size_t liked = std::min(categories, 2 + rng_.Below(3));
  std::vector<size_t> order(categories);
  for (size_t category_idx = 0; category_idx < categories; ++category_idx) {
    order[category_idx] = category_idx;
  }
  double total = 0;
  for (size_t liked_idx = 0; liked_idx < liked; ++liked_idx) {
    std::swap(order[liked_idx], order[liked_idx + rng_.Below(categories - liked_idx)]);
    double weight = rng_.Exponential(1);
    agent.tastes.emplace_back(order[liked_idx], weight);
    total += weight;
  }
  for (auto& [category_idx, weight] : agent.tastes) {
    weight /= total;
    shopper.hidden_tastes[category_names_[category_idx]] = weight;
  }
  shoppers_.push_back(std::move(shopper));
  agents_.push_back(std::move(agent));
}

void ShopSimulator::AddBot() {
  Shopper shopper;
  Agent agent;
  agent.shopper_idx = shoppers_.size();
  agent.country = &kCountries[0];
  agent.sessions_per_day = 1 + rng_.Uniform();
  const BotSpec& bot = kBots[rng_.Below(std::size(kBots))];
  agent.devices.push_back(
      MakeDevice(*agent.country, rng_.Ipv4(bot.ip_prefix), bot.user_agent, nullptr, ""));
  shopper.anonymous_ids.push_back(rng_.Uuid());
  shopper.device_ids.emplace_back();
  shopper.country = agent.country->code;
  shopper.is_bot = true;
  shoppers_.push_back(std::move(shopper));
  agents_.push_back(std::move(agent));
}

bool ShopSimulator::AcceptByRhythm(const Agent& agent, int64_t ts_us) {
  int64_t local_minute = FloorDiv(ts_us, kMicrosPerMinute) + agent.country->utc_offset_min;
  int64_t hour = FloorDiv(local_minute, 60) - FloorDiv(local_minute, 24 * 60) * 24;
  return rng_.Chance(kHourlyRhythm[hour] / kRhythmPeak);
}

int64_t ShopSimulator::NextSessionStart(const Agent& agent, int64_t after_us) {
  double rate_per_us = agent.sessions_per_day / static_cast<double>(kMicrosPerDay);
  if (shoppers_[agent.shopper_idx].is_bot) {
    double start_us = static_cast<double>(after_us) + rng_.Exponential(rate_per_us);
    return start_us <= static_cast<double>(end_us_) ? FloorToMillis(static_cast<int64_t>(start_us))
                                                    : -1;
  }
  // Thinning: candidates at the peak rate, each kept in proportion to its local hour's
  // share of the peak.
  double peak_rate_per_us = rate_per_us * kRhythmPeak / kRhythmMean;
  double start_us = static_cast<double>(after_us);
  while (true) {
    start_us += rng_.Exponential(peak_rate_per_us);
    if (start_us > static_cast<double>(end_us_)) return -1;
    if (AcceptByRhythm(agent, static_cast<int64_t>(start_us))) {
      return FloorToMillis(static_cast<int64_t>(start_us));
    }
  }
}

// Lays out one session's events in time on the agent's current device, dropping those
// past the end of the period.
struct ShopSimulator::SessionBuilder {
  SessionBuilder(ShopSimulator& sim_in, Agent& agent_in, int64_t start_us)
      : sim(sim_in), agent(agent_in), now_us(start_us) {
    agent.plan_events.clear();
    agent.plan_pos = 0;
    agent.cart.clear();
  }

  Device& device() { return agent.devices[agent.device_idx]; }

  // Returns the new event, or null if it falls after the period.
  Planned* Add(Kind kind, size_t item = 0, int quantity = 0) {
    if (now_us > sim.end_us_) return nullptr;
    agent.plan_events.push_back(Planned{FloorToMillis(now_us), kind, device().logged_in, current,
                                        previous, item, quantity});
    return &agent.plan_events.back();
  }
  void Visit(Page page) {
    previous = current;
    current = page;
    Add(Kind::kPage);
  }
  void Wait(int64_t min_us, int64_t max_us) {
    now_us += min_us + static_cast<int64_t>(sim.rng_.Below(static_cast<size_t>(max_us - min_us)));
  }
  // Time spent reading a page: log-normal around 25 s, capped.
  void Dwell() {
    double dwell_us = 25.0 * kMicrosPerSecond * std::exp(0.9 * sim.rng_.Normal());
    now_us += std::min(kMaxDwellUs, static_cast<int64_t>(dwell_us));
  }

  ShopSimulator& sim;
  Agent& agent;
  int64_t now_us;
  Page current;
  Page previous;
};

size_t ShopSimulator::PickCategory(const Agent& agent) {
  // Mostly what they like, now and then anything.
  if (agent.tastes.empty() || rng_.Chance(0.15)) return rng_.Below(category_names_.size());
  double pick = rng_.Uniform();
  for (const auto& [category_idx, weight] : agent.tastes) {
    if (pick < weight) return category_idx;
    pick -= weight;
  }
  return agent.tastes.back().first;
}

size_t ShopSimulator::PickItem(size_t category_idx) {
  const std::vector<double>& cumulative = category_cumulative_[category_idx];
  double pick = rng_.Uniform() * cumulative.back();
  size_t rank = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), pick) -
                                    cumulative.begin());
  return category_items_[category_idx][std::min(rank, cumulative.size() - 1)];
}

void ShopSimulator::PlanHumanSession(Agent& agent, int64_t start_us) {
  agent.device_idx = agent.devices.size() == 1 || rng_.Chance(0.6)
                         ? 0
                         : 1 + rng_.Below(agent.devices.size() - 1);
  agent.referrer_idx = rng_.Below(std::size(kReferrers));
  agent.cart_id = rng_.Hex(16);
  SessionBuilder session(*this, agent, start_us);

  auto view_product = [&](size_t category_idx) {
    size_t item_idx = PickItem(category_idx);
    session.Visit({PageKind::kProduct, item_idx});
    session.Wait(150 * kMicrosPerMilli, 1500 * kMicrosPerMilli);
    session.Add(Kind::kProductViewed, item_idx);
    double taste = 0;
    for (const auto& [liked_idx, weight] : agent.tastes) {
      if (liked_idx == category_idx) taste = weight;
    }
    // What people like goes into the cart more often.
    if (rng_.Chance(0.03 + 0.2 * taste)) {
      session.Wait(3 * kMicrosPerSecond, 40 * kMicrosPerSecond);
      int quantity = rng_.Chance(0.85) ? 1 : 2 + static_cast<int>(rng_.Below(2));
      session.Add(Kind::kProductAdded, item_idx, quantity);
      agent.cart.emplace_back(item_idx, quantity);
    }
    session.Dwell();
  };
  auto log_in = [&] {
    session.Visit({PageKind::kLogin});
    session.Wait(5 * kMicrosPerSecond, 25 * kMicrosPerSecond);
    session.device().logged_in = true;
    agent.identified = true;
    session.Add(Kind::kIdentify);
    session.Wait(kMicrosPerSecond, 3 * kMicrosPerSecond);
  };

  // Landing: the home page, a category page, or a product found through a search.
  double landing = rng_.Uniform();
  size_t category_idx = PickCategory(agent);
  if (landing < 0.5) {
    session.Visit({PageKind::kHome});
    session.Dwell();
  } else {
    if (landing < 0.7) {
      session.Visit({PageKind::kCategory, category_idx});
      session.Dwell();
    }
    view_product(category_idx);
  }
  if (agent.registered && !session.device().logged_in &&
      (!agent.identified || rng_.Chance(0.3))) {
    log_in();
  }
  while (rng_.Chance(0.75)) {
    category_idx = PickCategory(agent);
    if (rng_.Chance(0.3)) {
      session.Visit({PageKind::kCategory, category_idx});
      session.Dwell();
    }
    view_product(category_idx);
  }
  if (agent.cart.empty() || !rng_.Chance(0.35)) return;
  // Registered shoppers sign in to check out; the others check out as guests.
  if (agent.registered && !session.device().logged_in) log_in();
  session.Visit({PageKind::kCheckout});
  session.Wait(30 * kMicrosPerSecond, 180 * kMicrosPerSecond);
  bool coupon = rng_.Chance(0.1);
  if (Planned* order = session.Add(Kind::kOrderCompleted)) {
    order->order_number = ++order_counter_;
    order->coupon = coupon;
  }
}

void ShopSimulator::PlanBotSession(Agent& agent, int64_t start_us) {
  agent.device_idx = 0;
  agent.referrer_idx = 0;
  SessionBuilder session(*this, agent, start_us);
  // Crawlers walk the whole catalogue, far faster than anyone reads it.
  size_t pages = 20 + rng_.Below(81);
  for (size_t page_idx = 0; page_idx < pages; ++page_idx) {
    if (rng_.Chance(0.3)) {
      session.Visit({PageKind::kCategory, rng_.Below(category_names_.size())});
    } else {
      size_t item_idx = rng_.Below(catalogue_.size());
      session.Visit({PageKind::kProduct, item_idx});
      session.Wait(50 * kMicrosPerMilli, 300 * kMicrosPerMilli);
      session.Add(Kind::kProductViewed, item_idx);
    }
    session.Wait(200 * kMicrosPerMilli, 2 * kMicrosPerSecond);
  }
}

bool ShopSimulator::Next(size_t max_messages, std::vector<SimMessage>* out) {
  size_t appended = 0;
  while (appended < max_messages) {
    if (ready_.empty() && !Step()) break;
    out->push_back(std::move(ready_.front()));
    ready_.pop_front();
    ++appended;
  }
  return appended > 0;
}

bool ShopSimulator::LaterRelease(const Resend& a, const Resend& b) {
  return std::tie(a.release_us, a.seq) > std::tie(b.release_us, b.seq);
}

bool ShopSimulator::Step() {
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  int64_t agent_us = agenda_.empty() ? kNever : agenda_.top().first;
  int64_t resend_us = resends_.empty() ? kNever : resends_.front().release_us;
  if (agent_us == kNever && resend_us == kNever) return false;
  if (resend_us <= agent_us) {
    std::pop_heap(resends_.begin(), resends_.end(), LaterRelease);
    ready_.push_back(std::move(resends_.back().message));
    resends_.pop_back();
    ++counts_.messages;
    ++counts_.duplicates;
    return true;
  }

  size_t agent_idx = agenda_.top().second;
  agenda_.pop();
  Agent& agent = agents_[agent_idx];
  if (agent.plan_pos == agent.plan_events.size()) {
    if (shoppers_[agent_idx].is_bot) {
      PlanBotSession(agent, agent_us);
    } else {
      PlanHumanSession(agent, agent_us);
    }
  }
  // A session starts no later than the end of the period, so it has a first event.
  const Planned& event = agent.plan_events[agent.plan_pos++];
  Emit(agent, event);
  if (agent.plan_pos < agent.plan_events.size()) {
    agenda_.push({agent.plan_events[agent.plan_pos].ts_us, agent_idx});
    return true;
  }
  int64_t next_us = NextSessionStart(agent, event.ts_us + kSessionGapUs);
  if (next_us >= 0) agenda_.push({next_us, agent_idx});
  return true;
}

void ShopSimulator::Emit(const Agent& agent, const Planned& event) {
  std::string_view type = TypeName(event.kind);
  SimMessage message{std::string(type), BuildJson(agent, event, NextMessageId(), kNoFault)};
  ++counts_.messages;
  counts_.bot_messages += shoppers_[agent.shopper_idx].is_bot;
  counts_.identifies += event.kind == Kind::kIdentify;
  counts_.pages += event.kind == Kind::kPage;
  counts_.tracks += type == "track";
  if (rng_.Chance(duplicate_chance_)) {
    // A retry after a lost response: between a second and an hour later, log-uniform.
    double delay_us = kMicrosPerSecond * std::exp(rng_.Uniform() * std::log(3600.0));
    SimMessage copy = message;
    copy.duplicate = true;
    resends_.push_back(Resend{event.ts_us + static_cast<int64_t>(delay_us), counts_.messages,
                              std::move(copy)});
    std::push_heap(resends_.begin(), resends_.end(), LaterRelease);
  }
  ready_.push_back(std::move(message));
  if (rng_.Chance(malformed_chance_)) {
    int fault = 1 + static_cast<int>(rng_.Below(kFaultCount - 1));
    ready_.push_back(SimMessage{std::string(fault == kNoEventName ? "track" : type),
                                BuildJson(agent, event, NextMessageId(), fault), true});
    ++counts_.messages;
    ++counts_.malformed;
  }
}

std::string ShopSimulator::NextMessageId() {
  return Concat({"sim-", std::to_string(options_.seed), "-", std::to_string(++message_counter_)});
}

void ShopSimulator::WriteProperties(const Agent& agent, const Planned& event,
                                    JsonWriter* out) const {
  JsonWriter& json = *out;
  const Shopper& shopper = shoppers_[agent.shopper_idx];
  auto write_product = [&](size_t item_idx, int quantity) {
    const Item& item = catalogue_[item_idx];
    json.Key("product_id").String(item.id)
        .Key("name").String(item.title)
        .Key("category").String(item.category)
        .Key("price").Double(item.price);
    if (quantity > 0) json.Key("quantity").Int(quantity);
  };
  json.BeginObject();
  switch (event.kind) {
    case Kind::kIdentify:
      json.Key("email").String(shopper.email)
          .Key("name").String(agent.name)
          .Key("country").String(shopper.country)
          .Key("plan").String(agent.plan);
      break;
    case Kind::kProductViewed:
      write_product(event.item, 0);
      json.Key("currency").String("USD");
      break;
    case Kind::kProductAdded:
      json.Key("cart_id").String(agent.cart_id);
      write_product(event.item, event.quantity);
      json.Key("currency").String("USD");
      break;
    case Kind::kOrderCompleted: {
      double subtotal = 0;
      for (const auto& [item_idx, quantity] : agent.cart) {
        subtotal += catalogue_[item_idx].price * quantity;
      }
      // Per the e-commerce spec, revenue excludes shipping and tax; total includes them.
      double discount = event.coupon ? RoundCents(subtotal * 0.1) : 0;
      double revenue = RoundCents(subtotal - discount);
      double shipping = subtotal >= 50 ? 0 : 4.99;
      double tax = RoundCents(revenue * 0.08);
      std::string order_id = Concat(
          {"ord-", std::to_string(options_.seed), "-", std::to_string(event.order_number)});
      json.Key("order_id").String(order_id)
          .Key("total").Double(RoundCents(revenue + shipping + tax))
          .Key("revenue").Double(revenue)
          .Key("shipping").Double(shipping)
          .Key("tax").Double(tax)
          .Key("discount").Double(discount);
      if (event.coupon) json.Key("coupon").String("SAVE10");
      json.Key("currency").String("USD").Key("products").BeginArray();
      for (const auto& [item_idx, quantity] : agent.cart) {
        json.BeginObject();
        write_product(item_idx, quantity);
        json.EndObject();
      }
      json.EndArray();
      break;
    }
    case Kind::kPage:
      break;
  }
  json.EndObject();
}

std::string ShopSimulator::BuildJson(const Agent& agent, const Planned& event,
                                     const std::string& message_id, int fault) const {
  const Shopper& shopper = shoppers_[agent.shopper_idx];
  const Device& device = agent.devices[agent.device_idx];
  struct PageInfo {
    std::string_view name;
    std::string path;
    std::string title;
  };
  auto describe = [&](Page page) -> PageInfo {
    switch (page.kind) {
      case PageKind::kNone:
        return {};
      case PageKind::kHome:
        return {"Home", "/", std::string(kShopName)};
      case PageKind::kCategory: {
        const std::string& category = category_names_[page.index];
        return {"Category", Concat({"/c/", Slug(category)}),
                Concat({category, " | ", kShopName})};
      }
      case PageKind::kProduct: {
        const Item& item = catalogue_[page.index];
        return {"Product", Concat({"/p/", item.id}), Concat({item.title, " | ", kShopName})};
      }
      case PageKind::kLogin:
        return {"Login", "/login", Concat({"Sign in | ", kShopName})};
      case PageKind::kCheckout:
        return {"Checkout", "/checkout", Concat({"Checkout | ", kShopName})};
    }
    return {};
  };
  PageInfo page = describe(event.page);
  std::string url = Concat({kShopUrl, page.path});
  std::string referrer = event.referrer.kind == PageKind::kNone
                             ? std::string(kReferrers[agent.referrer_idx])
                             : Concat({kShopUrl, describe(event.referrer).path});

  // Written once, used for properties and context.page alike.
  std::string page_json = JsonWriter()
                              .BeginObject()
                              .Key("path").String(page.path)
                              .Key("referrer").String(referrer)
                              .Key("title").String(page.title)
                              .Key("url").String(url)
                              .EndObject()
                              .Take();

  JsonWriter json;
  bool is_track = event.kind != Kind::kIdentify && event.kind != Kind::kPage;
  json.BeginObject();
  json.Key("type").String(fault == kNoEventName ? "track" : TypeName(event.kind));
  if (is_track && fault != kNoEventName) json.Key("event").String(EventName(event.kind));
  if (event.kind == Kind::kPage) {
    json.Key("name").String(page.name);
    if (event.page.kind == PageKind::kCategory) {
      json.Key("category").String(category_names_[event.page.index]);
    } else if (event.page.kind == PageKind::kProduct) {
      json.Key("category").String(catalogue_[event.page.index].category);
    }
  }
  if (fault == kLongMessageId) {
    std::string long_id = message_id;
    while (long_id.size() <= 100) long_id += "-" + message_id;
    json.Key("messageId").String(long_id);
  } else {
    json.Key("messageId").String(message_id);
  }
  std::string timestamp = IsoMillis(event.ts_us);
  if (fault == kBadTimestamp) {
    // "28/11/2026 10:00:00": a day-first local format some clients send.
    timestamp = Concat({timestamp.substr(8, 2), "/", timestamp.substr(5, 2), "/",
                        timestamp.substr(0, 4), " ", timestamp.substr(11, 8)});
  }
  json.Key("timestamp").String(timestamp);
  if (fault != kMissingIds) {
    json.Key("anonymousId").String(shopper.anonymous_ids[agent.device_idx]);
    if (event.with_user_id) json.Key("userId").String(shopper.user_id);
  }

  json.Key(event.kind == Kind::kIdentify ? "traits" : "properties");
  if (fault == kPropertiesString) {
    json.String("[object Object]");  // what a JavaScript client sends after a bad concat
  } else if (event.kind == Kind::kPage) {
    json.Raw(page_json);
  } else {
    WriteProperties(agent, event, &json);
  }

  // The device's fixed context with this page added.
  std::string context = device.context_json;
  context.back() = ',';
  context += "\"page\":";
  context += page_json;
  context += '}';
  json.Key("context").Raw(context);
  json.EndObject();
  return json.Take();
}

std::string MakeBatchBody(const std::vector<SimMessage>& messages, int64_t sent_at_us) {
  JsonWriter json;
  json.BeginObject().Key("batch").BeginArray();
  for (const SimMessage& message : messages) json.Raw(message.json);
  json.EndArray().Key("sentAt").String(IsoMillis(sent_at_us)).EndObject();
  return json.Take();
}

}  // namespace aidmp::sim
