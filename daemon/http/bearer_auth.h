// Bearer-token checks for the admin endpoint, client API keys and internal endpoints.
#pragma once

#include <string>
#include <vector>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace disaggd::http {

/// True when `request` carries "Authorization: Bearer <token>" with exactly `token`, compared in
/// constant time. Otherwise answers 401 with an OpenAI-style error and a WWW-Authenticate header
/// and returns false; the caller then returns without writing anything else.
bool require_bearer_token(const std::string& token, Poco::Net::HTTPServerRequest& request,
                          Poco::Net::HTTPServerResponse& response);

/// The same with any of `tokens` accepted (each compared in constant time). True without looking
/// at the request when `tokens` is empty.
bool require_any_bearer_token(const std::vector<std::string>& tokens,
                              Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response);

/// The header that carries server.cluster_token between the processes of one cluster.
inline constexpr const char* kClusterTokenHeader = "X-Disaggd-Cluster-Token";

/// True when `token` is empty or `request` carries it in kClusterTokenHeader (compared in
/// constant time). Otherwise answers 401 (code "invalid_cluster_token") naming the header and
/// returns false; the caller then returns without writing anything else.
bool require_cluster_token(const std::string& token, const Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response);

/// Splits a comma-separated key list, trimming spaces and dropping empty entries.
std::vector<std::string> split_keys(const std::string& text);

}  // namespace disaggd::http
