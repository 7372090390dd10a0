#include "audience/expression.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/clock.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "common/strings.h"

namespace aidmp::audience {
namespace {

constexpr size_t kMaxTextBytes = 64 * 1024;
constexpr int kMaxDepth = 64;

struct Token {
  enum class Kind : uint8_t { kEnd, kName, kNumber, kDuration, kString, kPunct } kind = Kind::kEnd;
  std::string text;    // names, punctuation, the source of numbers; decoded strings
  double number = 0;   // kNumber
  int64_t micros = 0;  // kDuration
  int line = 1;
  int column = 1;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  absl::StatusOr<Token> Next() {
    SkipSpace();
    Token token;
    token.line = line_;
    token.column = column_;
    if (pos_ >= text_.size()) return token;
    char c = text_[pos_];
    if (IsNameStart(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) Advance();
      token.kind = Token::Kind::kName;
      token.text = std::string(text_.substr(start, pos_ - start));
      return token;
    }
    if (IsDigit(c) || (c == '-' && pos_ + 1 < text_.size() && (IsDigit(text_[pos_ + 1]) || text_[pos_ + 1] == '.'))) {
      return LexNumber(std::move(token));
    }
    if (c == '"') return LexString(std::move(token));
    for (std::string_view punct : {"!=", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", ",", ":", "."}) {
      if (text_.substr(pos_, punct.size()) == punct) {
        for (size_t idx = 0; idx < punct.size(); ++idx) Advance();
        token.kind = Token::Kind::kPunct;
        token.text = std::string(punct);
        return token;
      }
    }
    return Error(token, StrCat("unexpected character ", Describe(c)));
  }

  static absl::Status Error(const Token& at, std::string_view message) {
    return absl::InvalidArgumentError(StrCat("line ", at.line, ", column ", at.column, ": ", message));
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }
  static std::string Describe(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return StrCat("'", std::string(1, c), "'");
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02X", byte);
    return StrCat("byte ", buf);
  }

  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r')) {
      Advance();
    }
  }

  absl::StatusOr<Token> LexNumber(Token token) {
    size_t start = pos_;
    if (text_[pos_] == '-') Advance();
    while (pos_ < text_.size() && (IsDigit(text_[pos_]) || text_[pos_] == '.')) Advance();
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      Advance();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) Advance();
      while (pos_ < text_.size() && IsDigit(text_[pos_])) Advance();
    }
    std::string_view digits = text_.substr(start, pos_ - start);
    token.text = std::string(digits);
    // A whole number right before d, h or m (and nothing name-like after) is a duration.
    if (pos_ < text_.size() && (text_[pos_] == 'd' || text_[pos_] == 'h' || text_[pos_] == 'm') &&
        (pos_ + 1 >= text_.size() || !IsNameChar(text_[pos_ + 1]))) {
      int64_t count;
      char unit = text_[pos_];
      if (!ParseNumber(digits, &count) || count < 0 || count > 100000) {
        return Error(token, StrCat("'", digits, unit, "' is not a duration: expected a whole number up to 100000 "
                                   "before d, h or m, like 30d"));
      }
      Advance();
      token.kind = Token::Kind::kDuration;
      token.micros = count * (unit == 'd' ? kMicrosPerDay : unit == 'h' ? kMicrosPerHour : kMicrosPerMinute);
      token.text.push_back(unit);
      return token;
    }
    if (pos_ < text_.size() && IsNameStart(text_[pos_])) {
      return Error(token, StrCat("'", digits, text_[pos_], "' is not a number; a duration takes d, h or m"));
    }
    if (!ParseDouble(digits, &token.number)) return Error(token, StrCat("'", digits, "' is not a number"));
    token.kind = Token::Kind::kNumber;
    return token;
  }

  absl::StatusOr<Token> LexString(Token token) {
    Advance();  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error(token, "the string never ends: expected a closing '\"'");
      char c = text_[pos_];
      if (c == '"') {
        Advance();
        break;
      }
      if (c == '\n' || static_cast<unsigned char>(c) < 0x20) {
        return Error(token, "the string holds a line break or control character: escape it (\\n, \\t, \\u0001)");
      }
      if (c != '\\') {
        out.push_back(c);
        Advance();
        continue;
      }
      Advance();
      if (pos_ >= text_.size()) return Error(token, "the string never ends: expected a closing '\"'");
      char escaped = text_[pos_];
      Advance();
      switch (escaped) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t code = 0;
          for (int digit = 0; digit < 4; ++digit) {
            if (pos_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
              return Error(token, "a \\u escape needs four hex digits");
            }
            char h = text_[pos_];
            code = code * 16 + static_cast<uint32_t>(IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
            Advance();
          }
          if (code >= 0xD800 && code <= 0xDFFF) return Error(token, "\\u escapes of surrogates are not supported");
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Error(token, StrCat("unknown escape \\", Describe(escaped)));
      }
    }
    if (!IsValidUtf8(out)) return Error(token, "the string is not valid UTF-8");
    token.kind = Token::Kind::kString;
    token.text = std::move(out);
    return token;
  }

  static void AppendUtf8(uint32_t code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

std::string Found(const Token& token) {
  switch (token.kind) {
    case Token::Kind::kEnd: return "the end";
    case Token::Kind::kString: return StrCat("the string \"", token.text.substr(0, 40), "\"");
    default: return StrCat("'", token.text.substr(0, 40), "'");
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  absl::StatusOr<Expression> Parse() {
    AIDMP_RETURN_IF_ERROR(Advance());
    auto root = ParseOr(/*in_where=*/false, 0);
    if (!root.ok()) return root.status();
    if (current_.kind != Token::Kind::kEnd) {
      return Lexer::Error(current_, StrCat("expected 'and', 'or' or the end, found ", Found(current_)));
    }
    Expression expression;
    expression.root = std::move(*root);
    return expression;
  }

 private:
  absl::Status Advance() {
    auto token = lexer_.Next();
    if (!token.ok()) return token.status();
    current_ = std::move(*token);
    return absl::OkStatus();
  }

  bool IsName(std::string_view name) const { return current_.kind == Token::Kind::kName && current_.text == name; }
  bool IsPunct(std::string_view punct) const {
    return current_.kind == Token::Kind::kPunct && current_.text == punct;
  }

  absl::Status Expect(std::string_view punct, std::string_view what) {
    if (!IsPunct(punct)) return Lexer::Error(current_, StrCat("expected ", what, ", found ", Found(current_)));
    return Advance();
  }

  NodePtr NewNode(Node::Kind kind, const Token& at) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->line = at.line;
    node->column = at.column;
    return node;
  }

  absl::StatusOr<NodePtr> ParseOr(bool in_where, int depth) {
    if (depth > kMaxDepth) return Lexer::Error(current_, StrCat("nested more than ", kMaxDepth, " deep"));
    Token start = current_;
    auto first = ParseAnd(in_where, depth);
    if (!first.ok()) return first.status();
    if (!IsName("or")) return first;
    NodePtr node = NewNode(Node::Kind::kOr, start);
    node->children.push_back(std::move(*first));
    while (IsName("or")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      auto next = ParseAnd(in_where, depth);
      if (!next.ok()) return next.status();
      node->children.push_back(std::move(*next));
    }
    return node;
  }

  absl::StatusOr<NodePtr> ParseAnd(bool in_where, int depth) {
    Token start = current_;
    auto first = ParseUnary(in_where, depth);
    if (!first.ok()) return first.status();
    if (!IsName("and")) return first;
    NodePtr node = NewNode(Node::Kind::kAnd, start);
    node->children.push_back(std::move(*first));
    while (IsName("and")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      auto next = ParseUnary(in_where, depth);
      if (!next.ok()) return next.status();
      node->children.push_back(std::move(*next));
    }
    return node;
  }

  absl::StatusOr<NodePtr> ParseUnary(bool in_where, int depth) {
    if (depth > kMaxDepth) return Lexer::Error(current_, StrCat("nested more than ", kMaxDepth, " deep"));
    Token start = current_;
    if (IsName("not")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      auto child = ParseUnary(in_where, depth + 1);
      if (!child.ok()) return child.status();
      NodePtr node = NewNode(Node::Kind::kNot, start);
      node->children.push_back(std::move(*child));
      return node;
    }
    if (IsPunct("(")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      auto inner = ParseOr(in_where, depth + 1);
      if (!inner.ok()) return inner.status();
      AIDMP_RETURN_IF_ERROR(Expect(")", "')' or 'and' or 'or'"));
      return inner;
    }
    return ParsePredicate(in_where, depth);
  }

  absl::StatusOr<NodePtr> ParsePredicate(bool in_where, int depth) {
    Token start = current_;
    if (current_.kind != Token::Kind::kName) {
      return Lexer::Error(current_, StrCat("expected a condition (a path like traits.country, interest(...), "
                                           "did(...), in_segment(...), 'not' or '('), found ",
                                           Found(current_)));
    }
    std::string name = current_.text;
    AIDMP_RETURN_IF_ERROR(Advance());
    if (IsPunct("(")) {
      if (in_where) return Lexer::Error(start, "functions are not allowed inside where: (compare properties)");
      if (name == "interest") return ParseInterest(start);
      if (name == "did") return ParseDid(start, depth);
      if (name == "in_segment") return ParseInSegment(start);
      return Lexer::Error(start, StrCat("unknown function '", name.substr(0, 40),
                                        "': expected interest, did or in_segment"));
    }
    // A path.
    std::vector<std::string> path = {name};
    while (IsPunct(".")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      if (current_.kind != Token::Kind::kName) {
        return Lexer::Error(current_, StrCat("expected a name after '.', found ", Found(current_)));
      }
      path.push_back(current_.text);
      AIDMP_RETURN_IF_ERROR(Advance());
    }
    if (!in_where && ((path[0] != "traits" && path[0] != "computed") || path.size() < 2)) {
      return Lexer::Error(start, StrCat("expected a path starting with traits. or computed. (or interest(...), "
                                        "did(...), in_segment(...)), found '", name.substr(0, 40), "'"));
    }
    if (IsName("exists")) {
      NodePtr node = NewNode(Node::Kind::kExists, start);
      node->path = std::move(path);
      AIDMP_RETURN_IF_ERROR(Advance());
      return node;
    }
    if (IsName("in") || IsName("contains")) {
      NodePtr node = NewNode(IsName("in") ? Node::Kind::kIn : Node::Kind::kContains, start);
      node->path = std::move(path);
      bool is_in = node->kind == Node::Kind::kIn;
      AIDMP_RETURN_IF_ERROR(Advance());
      if (is_in && !IsPunct("[")) {
        return Lexer::Error(current_, StrCat("expected a list like [\"US\", \"DE\"] after 'in', found ", Found(current_)));
      }
      auto value = ParseValue(depth);
      if (!value.ok()) return value.status();
      node->value = std::move(*value);
      return node;
    }
    auto op = ParseOp("an operator (=, !=, <, <=, >, >=, in, contains or exists) after the path");
    if (!op.ok()) return op.status();
    NodePtr node = NewNode(Node::Kind::kCompare, start);
    node->path = std::move(path);
    node->op = *op;
    auto value = ParseValue(depth);
    if (!value.ok()) return value.status();
    node->value = std::move(*value);
    return node;
  }

  absl::StatusOr<CompareOp> ParseOp(std::string_view what) {
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {"=", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<", CompareOp::kLt},
        {"<=", CompareOp::kLe}, {">", CompareOp::kGt}, {">=", CompareOp::kGe}};
    for (const auto& [text, op] : kOps) {
      if (IsPunct(text)) {
        AIDMP_RETURN_IF_ERROR(Advance());
        return op;
      }
    }
    return Lexer::Error(current_, StrCat("expected ", what, ", found ", Found(current_)));
  }

  absl::StatusOr<std::string> ParseStringArg(std::string_view what) {
    if (current_.kind != Token::Kind::kString) {
      return Lexer::Error(current_, StrCat("expected ", what, " as a string in double quotes, found ", Found(current_)));
    }
    std::string text = current_.text;
    AIDMP_RETURN_IF_ERROR(Advance());
    return text;
  }

  absl::StatusOr<double> ParseNumberArg(std::string_view what) {
    if (current_.kind != Token::Kind::kNumber) {
      return Lexer::Error(current_, StrCat("expected ", what, ", found ", Found(current_)));
    }
    double number = current_.number;
    AIDMP_RETURN_IF_ERROR(Advance());
    return number;
  }

  absl::StatusOr<NodePtr> ParseInterest(const Token& start) {
    AIDMP_RETURN_IF_ERROR(Advance());  // (
    NodePtr node = NewNode(Node::Kind::kInterest, start);
    auto tag = ParseStringArg("the interest tag");
    if (!tag.ok()) return tag.status();
    node->name = std::move(*tag);
    AIDMP_RETURN_IF_ERROR(Expect(")", "')' after the tag"));
    auto op = ParseOp("an operator (=, !=, <, <=, >, >=) after interest(...)");
    if (!op.ok()) return op.status();
    node->op = *op;
    auto score = ParseNumberArg("a score between 0 and 1");
    if (!score.ok()) return score.status();
    node->value.kind = Literal::Kind::kNumber;
    node->value.number = *score;
    return node;
  }

  absl::StatusOr<NodePtr> ParseInSegment(const Token& start) {
    AIDMP_RETURN_IF_ERROR(Advance());  // (
    NodePtr node = NewNode(Node::Kind::kInSegment, start);
    auto name = ParseStringArg("the segment's name");
    if (!name.ok()) return name.status();
    node->name = std::move(*name);
    AIDMP_RETURN_IF_ERROR(Expect(")", "')' after the segment's name"));
    return node;
  }

  absl::StatusOr<NodePtr> ParseDid(const Token& start, int depth) {
    AIDMP_RETURN_IF_ERROR(Advance());  // (
    NodePtr node = NewNode(Node::Kind::kDid, start);
    auto event = ParseStringArg("the event name");
    if (!event.ok()) return event.status();
    node->name = std::move(*event);
    bool seen_within = false, seen_count = false, seen_where = false;
    while (IsPunct(",")) {
      AIDMP_RETURN_IF_ERROR(Advance());
      Token arg = current_;
      if (IsName("within") && !seen_within) {
        seen_within = true;
        AIDMP_RETURN_IF_ERROR(Advance());
        AIDMP_RETURN_IF_ERROR(Expect(":", "':' after within"));
        if (current_.kind != Token::Kind::kDuration || current_.micros == 0) {
          return Lexer::Error(current_, StrCat("expected a duration like 30d, 12h or 15m, found ", Found(current_)));
        }
        node->within_us = current_.micros;
        AIDMP_RETURN_IF_ERROR(Advance());
      } else if (IsName("count") && !seen_count) {
        seen_count = true;
        AIDMP_RETURN_IF_ERROR(Advance());
        auto op = ParseOp("an operator (=, !=, <, <=, >, >=) after count");
        if (!op.ok()) return op.status();
        node->count_op = *op;
        auto count = ParseNumberArg("a count");
        if (!count.ok()) return count.status();
        node->count_value = *count;
      } else if (IsName("where") && !seen_where) {
        seen_where = true;
        AIDMP_RETURN_IF_ERROR(Advance());
        AIDMP_RETURN_IF_ERROR(Expect(":", "':' after where"));
        auto where = ParseOr(/*in_where=*/true, depth + 1);
        if (!where.ok()) return where.status();
        node->where = std::move(*where);
      } else {
        return Lexer::Error(arg, StrCat("expected within:, count or where: (each at most once), found ", Found(arg)));
      }
    }
    AIDMP_RETURN_IF_ERROR(Expect(")", "',' or ')' in did(...)"));
    return node;
  }

  absl::StatusOr<Literal> ParseValue(int depth) {
    Literal literal;
    if (depth > kMaxDepth) return Lexer::Error(current_, StrCat("nested more than ", kMaxDepth, " deep"));
    switch (current_.kind) {
      case Token::Kind::kString:
        literal.kind = Literal::Kind::kString;
        literal.text = current_.text;
        break;
      case Token::Kind::kNumber:
        literal.kind = Literal::Kind::kNumber;
        literal.number = current_.number;
        break;
      case Token::Kind::kName:
        if (current_.text == "true" || current_.text == "false") {
          literal.kind = Literal::Kind::kBool;
          literal.boolean = current_.text == "true";
        } else if (current_.text != "null") {
          return Lexer::Error(current_, StrCat("expected a value (a string, number, true, false, null or list), found ",
                                               Found(current_), "; strings go in double quotes"));
        }
        break;
      case Token::Kind::kPunct:
        if (current_.text == "[") {
          literal.kind = Literal::Kind::kList;
          AIDMP_RETURN_IF_ERROR(Advance());
          while (true) {
            auto item = ParseValue(depth + 1);
            if (!item.ok()) return item.status();
            literal.items.push_back(std::move(*item));
            if (IsPunct("]")) break;
            AIDMP_RETURN_IF_ERROR(Expect(",", "',' or ']' in the list"));
          }
          break;
        }
        [[fallthrough]];
      default:
        return Lexer::Error(current_, StrCat("expected a value (a string, number, true, false, null or list), found ",
                                             Found(current_)));
    }
    AIDMP_RETURN_IF_ERROR(Advance());
    return literal;
  }

  Lexer lexer_;
  Token current_;
};

std::string DurationText(int64_t micros) {
  if (micros % kMicrosPerDay == 0) return StrCat(micros / kMicrosPerDay, "d");
  if (micros % kMicrosPerHour == 0) return StrCat(micros / kMicrosPerHour, "h");
  return StrCat(micros / kMicrosPerMinute, "m");
}

std::string PathText(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& part : path) StrAppend(&out, out.empty() ? "" : ".", part);
  return out;
}

}  // namespace

std::string_view CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "=";
}

std::string LiteralToString(const Literal& literal) {
  switch (literal.kind) {
    case Literal::Kind::kNull: return "null";
    case Literal::Kind::kBool: return literal.boolean ? "true" : "false";
    case Literal::Kind::kNumber: {
      char buf[32];
      auto result = std::to_chars(buf, buf + sizeof(buf), literal.number);
      return std::string(buf, result.ptr);
    }
    case Literal::Kind::kString: {
      std::string out;
      AppendJsonString(&out, literal.text);
      return out;
    }
    case Literal::Kind::kList: {
      std::string out = "[";
      for (size_t idx = 0; idx < literal.items.size(); ++idx) {
        StrAppend(&out, idx > 0 ? ", " : "", LiteralToString(literal.items[idx]));
      }
      out.push_back(']');
      return out;
    }
  }
  return "null";
}

std::string NodeToString(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      std::string out = "(";
      for (size_t idx = 0; idx < node.children.size(); ++idx) {
        StrAppend(&out, idx > 0 ? (node.kind == Node::Kind::kAnd ? " and " : " or ") : "",
                  NodeToString(*node.children[idx]));
      }
      out.push_back(')');
      return out;
    }
    case Node::Kind::kNot:
      return StrCat("not ", NodeToString(*node.children[0]));
    case Node::Kind::kCompare:
      return StrCat(PathText(node.path), " ", CompareOpText(node.op), " ", LiteralToString(node.value));
    case Node::Kind::kIn:
      return StrCat(PathText(node.path), " in ", LiteralToString(node.value));
    case Node::Kind::kContains:
      return StrCat(PathText(node.path), " contains ", LiteralToString(node.value));
    case Node::Kind::kExists:
      return StrCat(PathText(node.path), " exists");
    case Node::Kind::kInterest: {
      Literal name{Literal::Kind::kString, false, 0, node.name, {}};
      return StrCat("interest(", LiteralToString(name), ") ", CompareOpText(node.op), " ", LiteralToString(node.value));
    }
    case Node::Kind::kDid: {
      Literal name{Literal::Kind::kString, false, 0, node.name, {}};
      Literal count{Literal::Kind::kNumber, false, node.count_value, "", {}};
      std::string out = StrCat("did(", LiteralToString(name));
      if (node.within_us != 0) StrAppend(&out, ", within: ", DurationText(node.within_us));
      StrAppend(&out, ", count ", CompareOpText(node.count_op), " ", LiteralToString(count));
      if (node.where) StrAppend(&out, ", where: ", NodeToString(*node.where));
      out.push_back(')');
      return out;
    }
    case Node::Kind::kInSegment: {
      Literal name{Literal::Kind::kString, false, 0, node.name, {}};
      return StrCat("in_segment(", LiteralToString(name), ")");
    }
  }
  return "";
}

std::string Expression::ToString() const { return root ? NodeToString(*root) : std::string(); }

absl::StatusOr<Expression> ParseExpression(std::string_view text) {
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        StrCat("the expression is ", text.size(), " bytes; the limit is ", kMaxTextBytes));
  }
  if (StripWhitespace(text).empty()) return absl::InvalidArgumentError("the expression is empty");
  return Parser(text).Parse();
}

bool CompareNumbers(double left, CompareOp op, double right) {
  switch (op) {
    case CompareOp::kEq: return left == right;
    case CompareOp::kNe: return left != right;
    case CompareOp::kLt: return left < right;
    case CompareOp::kLe: return left <= right;
    case CompareOp::kGt: return left > right;
    case CompareOp::kGe: return left >= right;
  }
  return false;
}

RangeAnswer CompareRange(double low, double high, CompareOp op, double value) {
  bool all, none;
  switch (op) {
    case CompareOp::kEq:
      all = low == value && high == value;
      none = value < low || value > high;
      break;
    case CompareOp::kNe:
      all = value < low || value > high;
      none = low == value && high == value;
      break;
    default: {  // monotone in x: the ends decide
      bool at_low = CompareNumbers(low, op, value), at_high = CompareNumbers(high, op, value);
      all = at_low && at_high;
      none = !at_low && !at_high;
    }
  }
  return all ? RangeAnswer::kAll : none ? RangeAnswer::kNone : RangeAnswer::kSome;
}

}  // namespace aidmp::audience
