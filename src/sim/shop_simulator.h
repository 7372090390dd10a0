// A seeded generator of traffic for a simulated online shop, emitted as Segment Tracking
// API messages (JSON), so that `aidmp simulate` and `make demo` can drive the real HTTP
// collector with data that looks like a shop's: a catalogue with categories and prices,
// shoppers with hidden tastes and daily rhythms, sessions on several devices, logins
// that link anonymous ids to user ids, purchases per the Segment e-commerce spec v2,
// crawler bots, and a sprinkling of malformed and duplicated messages.
//
// Pure generation: no network I/O and no clock reads; the caller supplies the end of the
// simulated period. The output depends only on the options, so a seed reproduces a run
// exactly (on one standard library: only std::mt19937_64 and libm are used).
//
// Not thread-safe: one simulator per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aidmp {
class JsonWriter;
}  // namespace aidmp

namespace aidmp::sim {

struct ShopOptions {
  uint64_t seed = 42;
  // Human shoppers; bots are added on top. Negative is taken as 0.
  int shoppers = 2000;
  // Catalogue size; at least 1.
  int items = 500;
  // Number of categories, named "electronics", "books", "sci-fi", ...; at least 1 and at
  // most `items`, so that every category has an item.
  int categories = 12;
  // Length of the simulated period, which ends at `end_time_us`; at least 1.
  int days = 14;
  // End of the period in microseconds since the epoch, UTC. The caller sets it (usually
  // to its clock's now); the simulator never reads the clock, and 0 is taken literally.
  int64_t end_time_us = 0;
  // Bot agents added per human (crawler user agents, bursts of a page a second).
  double bot_fraction = 0.01;
  // Fraction of all emitted messages that are deliberately bad: both ids missing, a track
  // without an event name, properties (or traits) as a string, a timestamp that is not
  // ISO-8601, or a messageId longer than 100 characters. Clamped to [0, 0.45].
  double malformed_rate = 0.005;
  // Fraction of all emitted messages that re-send an earlier well-formed message verbatim
  // (same messageId), between a second and an hour of simulated time later. Clamped to
  // [0, 0.45].
  double duplicate_rate = 0.01;
};

struct Item {
  std::string id;  // "prod-00042"
  std::string title;
  std::string category;
  double price;  // USD, ending in .99
};

struct Shopper {
  // Empty for shoppers who never register (they browse and check out as guests) and for
  // bots. Every registered shopper identifies in their first session.
  std::string user_id;
  std::string email;  // empty when user_id is
  // One per device; device i sends anonymous_ids[i].
  std::vector<std::string> anonymous_ids;
  // context.device.id of device i; empty for desktop browsers, which have none.
  std::vector<std::string> device_ids;
  // Category -> weight over 2-4 categories (fewer if the shop has fewer), summing to 1.
  // Empty for bots.
  std::map<std::string, double> hidden_tastes;
  std::string country;  // ISO 3166-1 alpha-2
  bool is_bot = false;
};

struct SimMessage {
  std::string type;  // the message's "type": "identify", "track" or "page"
  // One Segment message object, compact JSON, including "type". Always valid JSON:
  // malformed messages break Segment's rules, not JSON's.
  std::string json;
  bool malformed = false;
  bool duplicate = false;  // a verbatim re-send of an earlier message
};

class ShopSimulator {
 public:
  // Builds the catalogue and the shoppers; generation happens in Next().
  explicit ShopSimulator(const ShopOptions& options);
  ~ShopSimulator();
  ShopSimulator(const ShopSimulator&) = delete;
  ShopSimulator& operator=(const ShopSimulator&) = delete;

  const std::vector<Item>& catalogue() const { return catalogue_; }
  // Humans first, then bots.
  const std::vector<Shopper>& shoppers() const { return shoppers_; }

  // Appends up to `max_messages` next messages to `out`. Timestamps never decrease from
  // one well-formed first send to the next; a duplicate carries its original's timestamp
  // and so is older than its neighbours, and a malformed message follows the message it
  // was derived from. All timestamps lie in [end_time_us - days, end_time_us].
  // Returns whether anything was appended: false once the simulation is finished.
  bool Next(size_t max_messages, std::vector<SimMessage>* out);

  // What was emitted so far. `messages` counts everything; `malformed` and `duplicates`
  // are disjoint parts of it; the rest, the well-formed first sends, are split by type
  // into identifies + tracks + pages, and `bot_messages` counts those sent by bots.
  struct Counts {
    uint64_t messages = 0, malformed = 0, duplicates = 0, bot_messages = 0, identifies = 0,
             tracks = 0, pages = 0;
  };
  Counts counts() const { return counts_; }

 private:
  struct Agent;
  struct Planned;
  struct SessionBuilder;
  struct Resend {
    int64_t release_us;
    uint64_t seq;
    SimMessage message;
  };
  // Orders resends_ as a min-heap.
  static bool LaterRelease(const Resend& a, const Resend& b);

  void BuildCatalogue();
  void BuildShoppers();
  void AddHuman();
  void AddBot();
  // Produces the next one or two messages into ready_; false when nothing is left.
  bool Step();
  // Turns a planned event into its message, maybe followed by a malformed variant, and
  // maybe schedules a verbatim re-send.
  void Emit(const Agent& agent, const Planned& event);
  void PlanHumanSession(Agent& agent, int64_t start_us);
  void PlanBotSession(Agent& agent, int64_t start_us);
  // Draws whether a session may start at `ts_us`, by the agent's local hour.
  bool AcceptByRhythm(const Agent& agent, int64_t ts_us);
  // Start of the agent's next session at or after `after_us`, or -1 if none in the period.
  int64_t NextSessionStart(const Agent& agent, int64_t after_us);
  size_t PickItem(size_t category_idx);
  size_t PickCategory(const Agent& agent);
  std::string NextMessageId();
  // The message for `event`, a pure function of its arguments. `fault` is 0 for a
  // well-formed message, else which rule to break.
  std::string BuildJson(const Agent& agent, const Planned& event, const std::string& message_id,
                        int fault) const;
  // The traits of an identify or the properties of a track, as an object.
  void WriteProperties(const Agent& agent, const Planned& event, JsonWriter* out) const;

  class Rng {
   public:
    explicit Rng(uint64_t seed);
    double Uniform();        // [0, 1)
    size_t Below(size_t n);  // [0, n)
    bool Chance(double p) { return Uniform() < p; }
    double Exponential(double rate);
    double Normal();
    std::string Hex(int digits);
    // Completes `prefix` ("73.") to a dotted quad with random octets.
    std::string Ipv4(std::string_view prefix);
    std::string Uuid();

   private:
    std::mt19937_64 engine_;
  };

  ShopOptions options_;
  Rng rng_;
  int64_t start_us_ = 0;
  int64_t end_us_ = 0;
  double malformed_chance_ = 0;  // per well-formed message
  double duplicate_chance_ = 0;  // per well-formed message
  std::vector<Item> catalogue_;
  std::vector<std::string> category_names_;
  std::vector<std::vector<size_t>> category_items_;       // by popularity rank
  std::vector<std::vector<double>> category_cumulative_;  // Zipf weights, cumulative
  std::vector<Shopper> shoppers_;
  std::vector<Agent> agents_;  // agents_[i] acts for shoppers_[i]
  // (next event time, agent index), earliest first.
  std::priority_queue<std::pair<int64_t, size_t>, std::vector<std::pair<int64_t, size_t>>,
                      std::greater<>>
      agenda_;
  std::vector<Resend> resends_;  // a min-heap on (release_us, seq)
  std::deque<SimMessage> ready_;
  uint64_t message_counter_ = 0;
  uint64_t order_counter_ = 0;
  Counts counts_;
};

// Wraps messages into a Segment /v1/batch body: {"batch":[...],"sentAt":"<iso>"}, with
// sentAt at millisecond precision.
std::string MakeBatchBody(const std::vector<SimMessage>& messages, int64_t sent_at_us);

}  // namespace aidmp::sim
