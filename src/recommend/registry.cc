#include "recommend/registry.h"

#include "common/strings.h"
#include "recommend/bayesian_mf.h"
#include "recommend/biased_mf.h"
#include "recommend/bpr.h"
#include "recommend/content_based.h"
#include "recommend/ease.h"
#include "recommend/hybrid.h"
#include "recommend/implicit_als.h"
#include "recommend/item_knn.h"
#include "recommend/popularity.h"
#include "recommend/rating_blend.h"
#include "recommend/rp3beta.h"
#include "recommend/svd_plus_plus.h"
#include "recommend/user_knn.h"

namespace aidmp::recommend {
namespace {

// Reads parameters by name and reports any it did not read, so a typo is an error.
class ParamReader {
 public:
  explicit ParamReader(const Params& params) : params_(params) {}
  template <typename T>
  void Read(const std::string& name, T* value) {
    auto it = params_.find(name);
    if (it == params_.end()) return;
    if constexpr (std::is_same_v<T, bool>) {
      *value = it->second != 0;
    } else {
      *value = static_cast<T>(it->second);
    }
    ++used_;
  }
  absl::Status Done(std::string_view algorithm) const {
    if (used_ == static_cast<int>(params_.size())) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat(algorithm, ": unknown parameter in \"", FormatParams(params_), "\""));
  }

 private:
  const Params& params_;
  int used_ = 0;
};

template <typename Model, typename Options>
absl::StatusOr<std::unique_ptr<Recommender>> Build(std::string_view name, const ParamReader& reader, Options options) {
  if (auto status = reader.Done(name); !status.ok()) return status;
  return std::unique_ptr<Recommender>(std::make_unique<Model>(options));
}

std::vector<AlgorithmSpec> MakeAlgorithms() {
  std::vector<AlgorithmSpec> specs;
  specs.push_back({"pop", "Popularity: items by number of users (non-personalised baseline)", true, false, {}, {}, {{}}, {},
                   [](const Params& params) -> absl::StatusOr<std::unique_ptr<Recommender>> {
                     ParamReader reader(params);
                     if (auto status = reader.Done("pop"); !status.ok()) return status;
                     return std::unique_ptr<Recommender>(std::make_unique<Popularity>());
                   }});
  specs.push_back({"userknn", "User-based CF: α·Σ_v sim(u,v)·R(v,i) over the k most similar users (cosine, shrinkage)",
                   true, true,
                   {{"k", 50}, {"shrink", 0}, {"mean_centring", 0}},
                   {{"k", 50}, {"shrink", 10}, {"mean_centring", 1}},
                   {{}, {{"k", 20}}, {{"k", 100}}, {{"k", 200}}, {{"k", 100}, {"shrink", 10}}},
                   {{}, {{"k", 20}}, {{"k", 100}}, {{"k", 50}, {"shrink", 0}}, {{"k", 50}, {"mean_centring", 0}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     UserKnnOptions options;
                     reader.Read("k", &options.k);
                     reader.Read("shrink", &options.shrink);
                     reader.Read("mean_centring", &options.mean_centring);
                     return Build<UserKnn>("userknn", reader, options);
                   }});
  specs.push_back({"itemknn", "Item-based CF: Σ_{i in N_k(j)} R(u,i)·sim(i,j) (cosine or adjusted cosine, shrinkage)",
                   true, true,
                   {{"k", 50}, {"shrink", 0}, {"adjusted", 0}},
                   {{"k", 50}, {"shrink", 10}, {"adjusted", 1}},
                   {{}, {{"k", 20}}, {{"k", 100}}, {{"k", 200}}, {{"k", 50}, {"shrink", 10}}, {{"k", 100}, {"shrink", 10}}},
                   {{}, {{"k", 20}}, {{"k", 100}}, {{"k", 50}, {"shrink", 0}}, {{"k", 50}, {"adjusted", 0}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     ItemKnnOptions options;
                     bool adjusted = false;
                     reader.Read("k", &options.k);
                     reader.Read("shrink", &options.shrink);
                     reader.Read("adjusted", &adjusted);
                     options.similarity = adjusted ? ItemSimilarity::kAdjustedCosine : ItemSimilarity::kCosine;
                     return Build<ItemKnn>("itemknn", reader, options);
                   }});
  specs.push_back({"ease", "EASE: closed-form item-item model B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹", true, false,
                   {{"lambda", 250}}, {},
                   {{}, {{"lambda", 100}}, {{"lambda", 400}}, {{"lambda", 1000}}, {{"dropout", 0.25}},
                    {{"user_exponent", 0.5}, {"lambda", 25}}, {{"user_exponent", 0.5}, {"lambda", 35}},
                    {{"user_exponent", 0.5}, {"lambda", 50}}},
                   {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     EaseOptions options;
                     reader.Read("lambda", &options.lambda);
                     reader.Read("dropout", &options.dropout);
                     reader.Read("user_exponent", &options.user_exponent);
                     return Build<Ease>("ease", reader, options);
                   }});
  specs.push_back({"rp3beta", "RP3beta: 3-step random walk user-item-user-item, transition probabilities^α, divided by popularity^β",
                   true, false,
                   {{"alpha", 1}, {"beta", 0.6}, {"k", 200}}, {},
                   {{}, {{"beta", 0.4}}, {{"beta", 0.5}}, {{"beta", 0.7}}, {{"alpha", 0.75}}, {{"k", 100}},
                    {{"normalise", 1}}},
                   {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     Rp3BetaOptions options;
                     reader.Read("alpha", &options.alpha);
                     reader.Read("beta", &options.beta);
                     reader.Read("k", &options.k);
                     reader.Read("normalise", &options.normalise);
                     return Build<Rp3Beta>("rp3beta", reader, options);
                   }});
  specs.push_back({"als", "Implicit ALS (Hu, Koren, Volinsky) solved by conjugate gradient, multi-threaded", true, false,
                   {{"factors", 64}, {"iterations", 15}, {"reg", 20}, {"alpha", 1}}, {},
                   {{}, {{"reg", 10}}, {{"reg", 40}}, {{"factors", 128}}, {{"alpha", 2}},
                    {{"user_exponent", 0.5}, {"reg", 2.5}}},
                   {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     ImplicitAlsOptions options;
                     reader.Read("factors", &options.factors);
                     reader.Read("iterations", &options.iterations);
                     reader.Read("reg", &options.regularization);
                     reader.Read("alpha", &options.alpha);
                     reader.Read("cg_steps", &options.cg_steps);
                     reader.Read("user_exponent", &options.user_exponent);
                     return Build<ImplicitAls>("als", reader, options);
                   }});
  specs.push_back({"bpr", "BPR: matrix factorisation trained on sampled (seen, unseen) pairs", true, false,
                   {{"factors", 64}, {"epochs", 60}, {"lr", 0.05}, {"reg", 0.01}}, {},
                   {{}, {{"reg", 0.02}}, {{"reg", 0.005}}, {{"factors", 128}, {"reg", 0.02}}}, {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     BprOptions options;
                     reader.Read("factors", &options.factors);
                     reader.Read("epochs", &options.epochs);
                     reader.Read("lr", &options.learning_rate);
                     reader.Read("reg", &options.regularization);
                     return Build<Bpr>("bpr", reader, options);
                   }});
  specs.push_back({"content", "Content-based: ⟨x_u, x_i⟩ over item features (IDF-weighted genres/categories)", true, false,
                   {{"idf", 1}}, {}, {{}, {{"idf", 0}}}, {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     ContentBasedOptions options;
                     reader.Read("idf", &options.idf);
                     reader.Read("centre", &options.centre_ratings);
                     return Build<ContentBased>("content", reader, options);
                   }});
  specs.push_back({"hybrid", "Weighted blend of standardised EASE, RP3beta, ALS, user- and item-kNN scores; popularity for new users",
                   true, false,
                   {{"ease", 1}, {"rp3beta", 0}, {"als", 1}, {"userknn", 0}, {"itemknn", 0}, {"lambda", 35},
                    {"user_exponent", 0.5}, {"als_reg", 2.5}, {"als_user_exponent", 0.5}},
                   {},
                   {{}, {{"als", 0.5}}, {{"als", 2}}, {{"userknn", 0.25}}, {{"itemknn", 0.25}}, {{"rp3beta", 0.25}},
                    // The previous default: plain EASE and ALS with user-kNN.
                    {{"lambda", 250}, {"user_exponent", 0}, {"als_reg", 20}, {"als_user_exponent", 0}, {"als", 0.5},
                     {"userknn", 0.25}}},
                   {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     float ease_weight = 1, rp3beta_weight = 0, als_weight = 1, userknn_weight = 0, itemknn_weight = 0;
                     EaseOptions ease;
                     ease.lambda = 35;
                     ease.user_exponent = 0.5;
                     ImplicitAlsOptions als;
                     als.regularization = 2.5f;
                     als.user_exponent = 0.5f;
                     reader.Read("ease", &ease_weight);
                     reader.Read("rp3beta", &rp3beta_weight);
                     reader.Read("als", &als_weight);
                     reader.Read("userknn", &userknn_weight);
                     reader.Read("itemknn", &itemknn_weight);
                     reader.Read("lambda", &ease.lambda);
                     reader.Read("user_exponent", &ease.user_exponent);
                     reader.Read("dropout", &ease.dropout);
                     reader.Read("als_reg", &als.regularization);
                     reader.Read("als_user_exponent", &als.user_exponent);
                     if (auto status = reader.Done("hybrid"); !status.ok()) return absl::StatusOr<std::unique_ptr<Recommender>>(status);
                     std::vector<HybridComponent> components;
                     components.push_back({"ease", ease_weight, std::make_unique<Ease>(ease)});
                     components.push_back({"rp3beta", rp3beta_weight, std::make_unique<Rp3Beta>(Rp3BetaOptions())});
                     components.push_back({"als", als_weight, std::make_unique<ImplicitAls>(als)});
                     components.push_back({"userknn", userknn_weight, std::make_unique<UserKnn>(UserKnnOptions())});
                     ItemKnnOptions item_knn;
                     item_knn.k = 200;
                     components.push_back({"itemknn", itemknn_weight, std::make_unique<ItemKnn>(item_knn)});
                     return absl::StatusOr<std::unique_ptr<Recommender>>(std::make_unique<Hybrid>(std::move(components)));
                   }});
  specs.push_back({"bias", "Bias-only baseline: μ + b_u + b_i by SGD", false, true, {},
                   {{"epochs", 30}, {"reg", 0.02}},
                   {}, {{}, {{"reg", 0.05}}, {{"reg", 0.1}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     BiasedMfOptions options;
                     options.factors = 0;
                     reader.Read("epochs", &options.epochs);
                     reader.Read("lr", &options.learning_rate);
                     reader.Read("reg", &options.bias_regularization);
                     return Build<BiasedMf>("bias", reader, options);
                   }});
  specs.push_back({"mf", "Biased matrix factorisation by SGD (\"SVD\"): μ + b_u + b_i + p_u·q_i", false, true, {},
                   {{"factors", 100}, {"epochs", 40}, {"lr", 0.007}, {"reg", 0.05}},
                   {}, {{}, {{"reg", 0.08}}, {{"reg", 0.03}}, {{"factors", 50}}, {{"epochs", 60}, {"lr", 0.005}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     BiasedMfOptions options;
                     reader.Read("factors", &options.factors);
                     reader.Read("epochs", &options.epochs);
                     reader.Read("lr", &options.learning_rate);
                     reader.Read("reg", &options.regularization);
                     reader.Read("bias_reg", &options.bias_regularization);
                     return Build<BiasedMf>("mf", reader, options);
                   }});
  specs.push_back({"svdpp", "SVD++ (Koren 2008): biased MF whose user vector adds |N(u)|^-½ Σ y_j over the items u rated",
                   false, true, {},
                   {{"factors", 100}, {"epochs", 60}, {"lr", 0.007}, {"lr_decay", 0.98}, {"reg", 0.06}, {"init_std", 0.05}},
                   {}, {{}, {{"reg", 0.05}}, {{"reg", 0.08}}, {{"epochs", 80}}, {{"factors", 50}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     SvdPlusPlusOptions options;
                     reader.Read("factors", &options.factors);
                     reader.Read("epochs", &options.epochs);
                     reader.Read("lr", &options.learning_rate);
                     reader.Read("lr_decay", &options.learning_rate_decay);
                     reader.Read("reg", &options.regularization);
                     reader.Read("bias_reg", &options.bias_regularization);
                     reader.Read("init_std", &options.init_std);
                     return Build<SvdPlusPlus>("svdpp", reader, options);
                   }});
  specs.push_back({"bayesmf", "Bayesian MF with biases by Gibbs sampling (BPMF, as libFM's MCMC): no regularisation to tune",
                   false, true, {},
                   {{"factors", 10}, {"samples", 200}, {"burn_in", 30}},
                   {}, {{}, {{"factors", 20}}, {{"factors", 5}}},
                   [](const Params& params) {
                     ParamReader reader(params);
                     BayesianMfOptions options;
                     reader.Read("factors", &options.factors);
                     reader.Read("samples", &options.samples);
                     reader.Read("burn_in", &options.burn_in);
                     return Build<BayesianMf>("bayesmf", reader, options);
                   }});
  specs.push_back({"blend", "Linear blend of Bayesian MF, biased MF, item- and user-kNN, weights fitted on held-out training ratings",
                   false, true, {}, {{"bayes_factors", 10}, {"samples", 200}}, {}, {},
                   [](const Params& params) {
                     ParamReader reader(params);
                     BayesianMfOptions bayes;
                     reader.Read("bayes_factors", &bayes.factors);
                     reader.Read("samples", &bayes.samples);
                     if (auto status = reader.Done("blend"); !status.ok()) {
                       return absl::StatusOr<std::unique_ptr<Recommender>>(status);
                     }
                     std::vector<std::function<std::unique_ptr<Recommender>()>> factories;
                     factories.push_back([bayes] { return std::make_unique<BayesianMf>(bayes); });
                     factories.push_back([] { return std::make_unique<BiasedMf>(BiasedMfOptions()); });
                     factories.push_back([] {
                       ItemKnnOptions options;
                       options.shrink = 10;
                       options.similarity = ItemSimilarity::kAdjustedCosine;
                       return std::make_unique<ItemKnn>(options);
                     });
                     factories.push_back([] {
                       UserKnnOptions options;
                       options.shrink = 10;
                       options.mean_centring = true;
                       return std::make_unique<UserKnn>(options);
                     });
                     return absl::StatusOr<std::unique_ptr<Recommender>>(std::make_unique<RatingBlend>(std::move(factories)));
                   }});
  return specs;
}

}  // namespace

const std::vector<AlgorithmSpec>& Algorithms() {
  static const std::vector<AlgorithmSpec>* specs = new std::vector<AlgorithmSpec>(MakeAlgorithms());
  return *specs;
}

const AlgorithmSpec* FindAlgorithm(std::string_view name) {
  for (const AlgorithmSpec& spec : Algorithms()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Params Merge(const Params& base, const Params& overrides) {
  Params merged = base;
  for (const auto& [name, value] : overrides) merged[name] = value;
  return merged;
}

std::string FormatParams(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) StrAppend(&out, out.empty() ? "" : " ", name, "=", value);
  return out;
}

absl::StatusOr<Params> ParseParams(std::string_view text) {
  Params params;
  for (std::string_view pair : Split(text, ',', /*skip_empty=*/true)) {
    std::vector<std::string_view> parts = Split(pair, '=');
    double value = 0;
    if (parts.size() != 2 || !ParseDouble(StripWhitespace(parts[1]), &value)) {
      return absl::InvalidArgumentError(StrCat("--params: \"", pair, "\" is not NAME=NUMBER"));
    }
    params[std::string(StripWhitespace(parts[0]))] = value;
  }
  return params;
}

}  // namespace aidmp::recommend
