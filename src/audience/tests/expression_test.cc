#include "audience/expression.h"

#include <gtest/gtest.h>

#include <random>

namespace aidmp::audience {
namespace {

std::string Canonical(std::string_view text) {
  auto expression = ParseExpression(text);
  EXPECT_TRUE(expression.ok()) << text << ": " << expression.status();
  return expression.ok() ? expression->ToString() : "";
}

std::string ErrorOf(std::string_view text) {
  auto expression = ParseExpression(text);
  EXPECT_FALSE(expression.ok()) << text << " parsed as " << (expression.ok() ? expression->ToString() : "");
  EXPECT_TRUE(absl::IsInvalidArgument(expression.status()));
  return std::string(expression.status().message());
}

TEST(ExpressionTest, TheIssuesExampleParsesAsWritten) {
  auto expression = ParseExpression(
      R"(traits.country = "CN" and interest("sci-fi") >= 0.3 and did("purchase", within: 30d, count >= 2, where: price > 100) and not in_segment("churned"))");
  ASSERT_TRUE(expression.ok()) << expression.status();
  const Node& root = *expression->root;
  ASSERT_EQ(root.kind, Node::Kind::kAnd);
  ASSERT_EQ(root.children.size(), 4u);
  EXPECT_EQ(root.children[0]->kind, Node::Kind::kCompare);
  EXPECT_EQ(root.children[0]->path, (std::vector<std::string>{"traits", "country"}));
  EXPECT_EQ(root.children[0]->value.text, "CN");
  EXPECT_EQ(root.children[1]->kind, Node::Kind::kInterest);
  EXPECT_EQ(root.children[1]->name, "sci-fi");
  EXPECT_DOUBLE_EQ(root.children[1]->value.number, 0.3);
  const Node& did = *root.children[2];
  EXPECT_EQ(did.kind, Node::Kind::kDid);
  EXPECT_EQ(did.name, "purchase");
  EXPECT_EQ(did.within_us, 30LL * 86'400'000'000LL);
  EXPECT_EQ(did.count_op, CompareOp::kGe);
  EXPECT_EQ(did.count_value, 2);
  ASSERT_TRUE(did.where);
  EXPECT_EQ(did.where->path, std::vector<std::string>{"price"});
  EXPECT_EQ(root.children[3]->kind, Node::Kind::kNot);
  EXPECT_EQ(root.children[3]->children[0]->kind, Node::Kind::kInSegment);
  EXPECT_EQ(expression->ToString(),
            R"((traits.country = "CN" and interest("sci-fi") >= 0.3 and did("purchase", within: 30d, count >= 2, where: price > 100) and not in_segment("churned")))");
}

TEST(ExpressionTest, PrecedenceParenthesesAndEveryPredicate) {
  EXPECT_EQ(Canonical("traits.a = 1 or traits.b = 2 and traits.c = 3"),
            "(traits.a = 1 or (traits.b = 2 and traits.c = 3))");
  EXPECT_EQ(Canonical("(traits.a = 1 or traits.b = 2) and traits.c = 3"),
            "((traits.a = 1 or traits.b = 2) and traits.c = 3)");
  EXPECT_EQ(Canonical("not not traits.vip = true"), "not not traits.vip = true");
  EXPECT_EQ(Canonical(R"(traits.country in ["US", "DE"])"), R"(traits.country in ["US", "DE"])");
  EXPECT_EQ(Canonical(R"(traits.tags contains "vip")"), R"(traits.tags contains "vip")");
  EXPECT_EQ(Canonical("traits.email exists"), "traits.email exists");
  EXPECT_EQ(Canonical("computed.orders_30d >= 2"), "computed.orders_30d >= 2");
  EXPECT_EQ(Canonical("traits.age != null and traits.score < -1.5e3 and traits.x <= 0"),
            "(traits.age != null and traits.score < -1500 and traits.x <= 0)");
  EXPECT_EQ(Canonical(R"(did("Order Completed"))"), R"(did("Order Completed", count >= 1))");
  EXPECT_EQ(Canonical(R"(did("x", where: (price > 1 or currency = "EUR") and not coupon exists, within: 12h))"),
            R"(did("x", within: 12h, count >= 1, where: ((price > 1 or currency = "EUR") and not coupon exists)))");
  EXPECT_EQ(Canonical("did(\"x\", within: 90m)"), "did(\"x\", within: 90m, count >= 1)");
  EXPECT_EQ(Canonical("did(\"x\", within: 1440m)"), "did(\"x\", within: 1d, count >= 1)");
  EXPECT_EQ(Canonical("traits.name = \"a\\\"b\\u00e9\\n\""), "traits.name = \"a\\\"b\xc3\xa9\\n\"");
  EXPECT_EQ(Canonical("traits.a\n  =\t1"), "traits.a = 1");
}

TEST(ExpressionTest, ErrorsNameLineColumnAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("traits.country = "),
            "line 1, column 18: expected a value (a string, number, true, false, null or list), found the end");
  EXPECT_EQ(ErrorOf("traits.country = CN"),
            "line 1, column 18: expected a value (a string, number, true, false, null or list), found 'CN'; "
            "strings go in double quotes");
  EXPECT_EQ(ErrorOf("traits.a = 1 and\n  (traits.b = 2"), "line 2, column 16: expected ')' or 'and' or 'or', found the end");
  EXPECT_EQ(ErrorOf("country = \"CN\""),
            "line 1, column 1: expected a path starting with traits. or computed. (or interest(...), did(...), "
            "in_segment(...)), found 'country'");
  EXPECT_EQ(ErrorOf("interest(\"x\") >= high"), "line 1, column 18: expected a score between 0 and 1, found 'high'");
  EXPECT_EQ(ErrorOf("did(\"x\", within: 30 days)"),
            "line 1, column 18: expected a duration like 30d, 12h or 15m, found '30'");
  EXPECT_EQ(ErrorOf("did(\"x\", within: 30d, within: 2d)"),
            "line 1, column 23: expected within:, count or where: (each at most once), found 'within'");
  EXPECT_EQ(ErrorOf("did(\"x\", where: interest(\"a\") > 1)"),
            "line 1, column 17: functions are not allowed inside where: (compare properties)");
  EXPECT_EQ(ErrorOf("frobnicate(\"x\")"), "line 1, column 1: unknown function 'frobnicate': expected interest, did or in_segment");
  EXPECT_EQ(ErrorOf("traits.a = 1 traits.b = 2"), "line 1, column 14: expected 'and', 'or' or the end, found 'traits'");
  EXPECT_EQ(ErrorOf("traits.a in \"US\""), "line 1, column 13: expected a list like [\"US\", \"DE\"] after 'in', found the string \"US\"");
  EXPECT_EQ(ErrorOf("traits.a = \"open"), "line 1, column 12: the string never ends: expected a closing '\"'");
  EXPECT_EQ(ErrorOf("traits.a = 1 & traits.b = 2"), "line 1, column 14: unexpected character '&'");
  EXPECT_EQ(ErrorOf("traits.a = 12x"), "line 1, column 12: '12x' is not a number; a duration takes d, h or m");
  EXPECT_EQ(ErrorOf(""), "the expression is empty");
  EXPECT_NE(ErrorOf(std::string(100, '(') + "traits.a = 1" + std::string(100, ')')).find("nested more than 64 deep"),
            std::string::npos);
  EXPECT_NE(ErrorOf("traits.a = [" + std::string(100, '[')).find("nested more than 64 deep"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(70 * 1024, ' ')).find("the limit is 65536"), std::string::npos);
  EXPECT_NE(ErrorOf("traits.a = \"\xff\"").find("not valid UTF-8"), std::string::npos);
}

// Canonical forms are fixed points: parse(print(parse(x))) prints the same, on random
// expressions built from the grammar.
TEST(ExpressionTest, CanonicalFormIsAFixedPointOnRandomExpressions) {
  std::mt19937 rng(11);
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    int pick = depth > 3 ? 4 + static_cast<int>(rng() % 5) : static_cast<int>(rng() % 9);
    const char* ops[] = {"=", "!=", "<", "<=", ">", ">="};
    switch (pick) {
      case 0: return gen(depth + 1) + " and " + gen(depth + 1);
      case 1: return gen(depth + 1) + " or " + gen(depth + 1);
      case 2: return "not " + gen(depth + 1);
      case 3: return "(" + gen(depth + 1) + ")";
      case 4: return std::string("traits.t") + std::to_string(rng() % 5) + " " + ops[rng() % 6] + " " + std::to_string(static_cast<int>(rng() % 200) - 100);
      case 5: return "computed.c" + std::to_string(rng() % 3) + " in [\"a\", 1, true, null]";
      case 6: return "interest(\"g" + std::to_string(rng() % 4) + "\") " + ops[rng() % 6] + " 0." + std::to_string(rng() % 10);
      case 7: return "did(\"e\", within: " + std::to_string(1 + rng() % 90) + "d, count " + ops[rng() % 6] + " " +
                     std::to_string(rng() % 5) + ", where: p" + std::to_string(rng() % 3) + " > 1)";
      default: return "in_segment(\"s" + std::to_string(rng() % 4) + "\")";
    }
  };
  for (int round = 0; round < 500; ++round) {
    std::string text = gen(0);
    std::string once = Canonical(text);
    ASSERT_FALSE(once.empty()) << text;
    EXPECT_EQ(Canonical(once), once) << text;
  }
}

}  // namespace
}  // namespace aidmp::audience
