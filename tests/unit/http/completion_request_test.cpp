// parse_completion_request and parse_chat_completion_request: accepted shapes, defaults, and an
// error naming the field for each kind of mistake.
#include "http/openai/completion_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace disaggd::http {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

CompletionRequest completion(const json& body) {
  auto parsed = parse_completion_request(body);
  if (const auto* error = std::get_if<ApiError>(&parsed)) {
    ADD_FAILURE() << error->message;
    return {};
  }
  return std::get<CompletionRequest>(parsed);
}

ApiError completion_error(const json& body) {
  auto parsed = parse_completion_request(body);
  if (!std::holds_alternative<ApiError>(parsed)) {
    ADD_FAILURE() << "accepted: " << body.dump();
    return {};
  }
  return std::get<ApiError>(parsed);
}

TEST(CompletionRequestTest, PromptShapes) {
  EXPECT_EQ(completion({{"model", "m"}, {"prompt", "hi"}}).prompts,
            std::vector<Prompt>{Prompt(std::string("hi"))});
  EXPECT_EQ(completion({{"model", "m"}, {"prompt", {1, 2, 3}}}).prompts,
            std::vector<Prompt>{Prompt(std::vector<int64_t>{1, 2, 3})});
  EXPECT_EQ(completion({{"model", "m"}, {"prompt", {"a", "b"}}}).prompts.size(), 2u);
  EXPECT_EQ(completion({{"model", "m"}, {"prompt", {{1, 2}, {3}}}}).prompts.size(), 2u);
  for (const json& bad :
       {json(7), json::array(), json({1, "x"}), json({{"a", 1}}), json({json::array()})}) {
    EXPECT_EQ(completion_error({{"model", "m"}, {"prompt", bad}}).param, "prompt") << bad.dump();
  }
  EXPECT_EQ(completion_error({{"model", "m"}}).param, "prompt");
}

TEST(CompletionRequestTest, DefaultsAndValues) {
  const CompletionRequest r = completion({{"model", "m"},
                                          {"prompt", "x"},
                                          {"max_tokens", 5},
                                          {"temperature", 0},
                                          {"top_p", 0.5},
                                          {"top_k", 0},
                                          {"seed", 42},
                                          {"stop", "\n"},
                                          {"stream", true},
                                          {"stream_options", {{"include_usage", true}}},
                                          {"logprobs", 2},
                                          {"echo", true}});
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.sampling.max_tokens, 5);
  EXPECT_EQ(r.sampling.temperature, 0.0);
  EXPECT_EQ(r.sampling.top_p, 0.5);
  EXPECT_EQ(r.sampling.top_k, -1);  // 0 means off, like -1
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_EQ(r.sampling.stop, std::vector<std::string>{"\n"});
  EXPECT_TRUE(r.sampling.stream);
  EXPECT_TRUE(r.sampling.include_usage);
  EXPECT_TRUE(r.sampling.want_logprobs);
  EXPECT_EQ(r.sampling.logprobs, 2);
  EXPECT_TRUE(r.echo);
  const CompletionRequest plain = completion({{"model", "m"}, {"prompt", "x"}});
  EXPECT_FALSE(plain.sampling.max_tokens.has_value());
  EXPECT_EQ(plain.sampling.temperature, 1.0);
  EXPECT_FALSE(plain.sampling.want_logprobs);
}

TEST(CompletionRequestTest, EachMistakeNamesItsField) {
  const json base = {{"model", "m"}, {"prompt", "x"}};
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"max_tokens", "ten"}}, "max_tokens"},
      {{{"max_tokens", 0}}, "max_tokens"},
      {{{"max_tokens", -3}}, "max_tokens"},
      {{{"max_tokens", 1.5}}, "max_tokens"},
      {{{"temperature", 2.5}}, "temperature"},
      {{{"temperature", "hot"}}, "temperature"},
      {{{"top_p", 0}}, "top_p"},
      {{{"min_p", 1.5}}, "min_p"},
      {{{"presence_penalty", 3}}, "presence_penalty"},
      {{{"frequency_penalty", -3}}, "frequency_penalty"},
      {{{"repetition_penalty", 0}}, "repetition_penalty"},
      {{{"top_k", -2}}, "top_k"},
      {{{"n", 2}}, "n"},
      {{{"seed", "x"}}, "seed"},
      {{{"stop", {"a", "b", "c", "d", "e"}}}, "stop"},
      {{{"stop", {1}}}, "stop"},
      {{{"stop", ""}}, "stop"},
      {{{"stop_token_ids", {-1}}}, "stop_token_ids"},
      {{{"stream", "yes"}}, "stream"},
      {{{"stream_options", {{"include_usage", 1}}}}, "stream_options"},
      {{{"logprobs", 21}}, "logprobs"},
      {{{"logit_bias", {{"5", 10}}}}, "logit_bias"},
      {{{"suffix", "x"}}, "suffix"},
      {{{"tempreature", 1}}, "tempreature"},
  };
  for (const auto& [extra, param] : cases) {
    json body = base;
    body.update(extra);
    const ApiError error = completion_error(body);
    EXPECT_EQ(error.param, param) << body.dump();
    EXPECT_EQ(error.status, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    EXPECT_THAT(error.message, HasSubstr(param)) << body.dump();
  }
  EXPECT_EQ(completion_error({{"prompt", "x"}}).param, "model");
  EXPECT_EQ(completion_error({{"model", ""}, {"prompt", "x"}}).param, "model");
  EXPECT_EQ(completion_error(json::array()).param, "");
}

TEST(ChatCompletionRequestTest, MessagesAreCheckedAndTextPartsJoined) {
  auto parsed = parse_chat_completion_request(
      {{"model", "m"},
       {"messages",
        {{{"role", "system"}, {"content", "Be brief."}},
         {{"role", "user"},
          {"content",
           {{{"type", "text"}, {"text", "Hi "}}, {{"type", "text"}, {"text", "there"}}}}}}},
       {"chat_template_kwargs", {{"enable_thinking", false}}},
       {"logprobs", true},
       {"top_logprobs", 3}});
  ASSERT_TRUE(std::holds_alternative<ChatCompletionRequest>(parsed))
      << std::get<ApiError>(parsed).message;
  const ChatCompletionRequest& r = std::get<ChatCompletionRequest>(parsed);
  EXPECT_EQ(r.messages[1]["content"], "Hi there");
  EXPECT_EQ(r.chat_template_kwargs["enable_thinking"], false);
  EXPECT_TRUE(r.add_generation_prompt);
  EXPECT_EQ(r.sampling.logprobs, 3);

  auto error = [](const json& messages) {
    auto p = parse_chat_completion_request({{"model", "m"}, {"messages", messages}});
    return std::holds_alternative<ApiError>(p) ? std::get<ApiError>(p).param : std::string("ok");
  };
  EXPECT_EQ(error(json::array()), "messages");
  EXPECT_EQ(error("hello"), "messages");
  EXPECT_EQ(error({{{"content", "no role"}}}), "messages[0].role");
  EXPECT_EQ(error({{{"role", "wizard"}, {"content", "x"}}}), "messages[0].role");
  EXPECT_EQ(error({{{"role", "user"}, {"content", 5}}}), "messages[0].content");
  EXPECT_EQ(error({{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}),
            "messages[0].content");
  EXPECT_EQ(error({{{"role", "assistant"}, {"content", nullptr}}}), "ok");
}

}  // namespace
}  // namespace disaggd::http
