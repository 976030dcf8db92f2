// The config schema table.
#include "core/config/config_schema.h"

#include <algorithm>
#include <utility>

#include "core/config/config_enums.h"
#include "disaggd/sdk/closest_match.hpp"

namespace disaggd::core {
namespace {

const std::set<Role> kNodeRoles = {Role::kPrefill, Role::kDecode, Role::kHybrid};
const char* const kAllRoles = "all roles";
const char* const kProxyRole = "proxy";
const char* const kNodeRolesText = "prefill, decode, hybrid";

std::string yaml_quote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    quoted += c;
  }
  return quoted + "\"";
}

std::string show_options(const PluginOptions& options) {
  if (options.empty()) {
    return "{}";
  }
  std::string text = "{";
  for (const PluginOption& option : options) {
    text += (text.size() > 1 ? ", " : "") + option.key + ": " +
            (option.type == DISAGGD_OPTION_STRING ? yaml_quote(option.text) : option.text);
  }
  return text + "}";
}

FieldSpec base(std::string path, std::string type, std::string help, std::string used_by) {
  FieldSpec field;
  field.path = std::move(path);
  field.type = std::move(type);
  field.help = std::move(help);
  field.used_by = std::move(used_by);
  return field;
}

template <class Ref>
FieldSpec text_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field = base(std::move(path), "string", std::move(help), std::move(used_by));
  field.apply = [ref](const YAML::Node& node, const ValueContext&, Config& config) {
    return read_string(node, &ref(config));
  };
  field.show = [ref](const Config& config) { return yaml_quote(ref(config)); };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec integer_field(std::string path, int64_t min, int64_t max, std::string help,
                        std::string used_by, Ref ref) {
  FieldSpec field =
      base(std::move(path), "integer " + std::to_string(min) + ".." + std::to_string(max),
           std::move(help), std::move(used_by));
  field.apply = [ref, min, max](const YAML::Node& node, const ValueContext&, Config& config) {
    int64_t value = 0;
    std::string error = read_integer(node, min, max, &value);
    if (error.empty()) {
      ref(config) = static_cast<std::remove_reference_t<decltype(ref(config))>>(value);
    }
    return error;
  };
  field.show = [ref](const Config& config) { return std::to_string(ref(config)); };
  field.is_empty = [](const Config&) { return false; };
  return field;
}

template <class E, class Ref>
FieldSpec enum_field(std::string path, const EnumNames<E>& names, std::string help,
                     std::string used_by, Ref ref) {
  std::string choices;
  for (std::string_view name : canonical_names(names)) {
    choices += (choices.empty() ? "" : ", ") + std::string(name);
  }
  FieldSpec field =
      base(std::move(path), "one of: " + choices, std::move(help), std::move(used_by));
  field.apply = [ref, &names, choices](const YAML::Node& node, const ValueContext&,
                                       Config& config) -> std::string {
    std::string text;
    if (!read_string(node, &text).empty() || !parse_enum(names, text)) {
      std::vector<std::string> candidates;
      for (std::string_view name : canonical_names(names)) {
        candidates.emplace_back(name);
      }
      const std::string suggestion = sdk::closest_match(text, candidates);
      return "expected one of " + choices + ", got " + describe_node(node) +
             (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)");
    }
    ref(config) = *parse_enum(names, text);
    return {};
  };
  field.show = [ref, &names](const Config& config) {
    return std::string(enum_name(names, ref(config)));
  };
  field.is_empty = [](const Config&) { return false; };
  return field;
}

template <class Ref>
FieldSpec plugin_field(std::string path, std::string kind, std::string help, std::string used_by,
                       Ref ref) {
  FieldSpec field =
      base(std::move(path), "name of a " + kind + " plugin", std::move(help), std::move(used_by));
  field.apply = [ref](const YAML::Node& node, const ValueContext&, Config& config) {
    return read_plugin_name(node, &ref(config));
  };
  field.show = [ref](const Config& config) { return ref(config); };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec url_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field = base(std::move(path), "URL", std::move(help), std::move(used_by));
  field.apply = [ref](const YAML::Node& node, const ValueContext&, Config& config) {
    return read_url(node, &ref(config));
  };
  field.show = [ref](const Config& config) { return yaml_quote(ref(config)); };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec path_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field = base(std::move(path), "path", std::move(help), std::move(used_by));
  field.apply = [ref](const YAML::Node& node, const ValueContext& context, Config& config) {
    return read_existing_path(node, context, &ref(config));
  };
  field.show = [ref](const Config& config) { return yaml_quote(ref(config).string()); };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec directories_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field =
      base(std::move(path), "list of directories", std::move(help), std::move(used_by));
  field.shape = FieldShape::kList;
  field.apply = [ref](const YAML::Node& node, const ValueContext& context, Config& config) {
    return read_directory_list(node, context, &ref(config));
  };
  field.show = [ref](const Config& config) {
    std::string text = "[";
    for (const auto& dir : ref(config)) {
      text += (text.size() > 1 ? ", " : "") + yaml_quote(dir.string());
    }
    return text + "]";
  };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec options_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field =
      base(std::move(path), "map of name: value", std::move(help), std::move(used_by));
  field.shape = FieldShape::kOptionMap;
  field.apply = [ref](const YAML::Node& node, const ValueContext&, Config& config) {
    return read_option_map(node, &ref(config));
  };
  field.show = [ref](const Config& config) { return show_options(ref(config)); };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

template <class Ref>
FieldSpec secret_field(std::string path, std::string help, std::string used_by, Ref ref) {
  FieldSpec field = base(std::move(path), "secret: string, {env: NAME} or {file: PATH}",
                         std::move(help), std::move(used_by));
  field.shape = FieldShape::kSecret;
  field.apply = [ref](const YAML::Node& node, const ValueContext& context, Config& config) {
    return read_secret(node, context, &ref(config));
  };
  field.show = [ref](const Config& config) {
    return ref(config).empty() ? std::string("(not set)")
                               : "(set, from " + ref(config).origin + ")";
  };
  field.is_empty = [ref](const Config& config) { return ref(config).empty(); };
  return field;
}

FieldSpec aliased(FieldSpec field, std::vector<std::string> aliases) {
  field.aliases = std::move(aliases);
  return field;
}

FieldSpec required_for(FieldSpec field, std::set<Role> roles) {
  field.required_for = std::move(roles);
  return field;
}

std::vector<FieldSpec> build_fields() {
  std::vector<FieldSpec> fields;
  FieldSpec role = enum_field(
      "role", role_names(),
      "What this process does: proxy routes client requests to nodes; prefill, decode and "
      "hybrid nodes run the model. LMDeploy's spellings (Prefill, Decode, Hybrid) are accepted.",
      kAllRoles, [](auto& c) -> auto& { return c.role; });
  role.required = true;
  fields.push_back(std::move(role));

  fields.push_back(text_field(
      "server.name", "Address the client listener binds to.", kAllRoles,
      [](auto& c) -> auto& { return c.server.name; }));
  fields.push_back(integer_field(
      "server.port", 0, 65535, "TCP port of the client listener; 0 picks a free port and logs it.",
      kAllRoles, [](auto& c) -> auto& { return c.server.port; }));
  fields.push_back(integer_field(
      "server.max_threads", 1, 4096,
      "Connection threads. Each open connection holds one, idle keep-alive connections included, "
      "so set it above the number of concurrent client connections (on a node: above the "
      "proxy's proxy.max_connections_per_node).",
      kAllRoles, [](auto& c) -> auto& { return c.server.max_threads; }));
  fields.push_back(integer_field(
      "server.max_queued", 1, 1000000, "Accepted connections that may wait for a free thread.",
      kAllRoles, [](auto& c) -> auto& { return c.server.max_queued; }));
  fields.push_back(integer_field(
      "server.keep_alive_timeout_s", 1, 3600,
      "Seconds an idle keep-alive client connection stays open.", kAllRoles,
      [](auto& c) -> auto& { return c.server.keep_alive_timeout_s; }));
  fields.push_back(integer_field(
      "server.max_body_bytes", 1024, 1 << 30,
      "Largest request body accepted; a bigger one gets HTTP 413.", kAllRoles,
      [](auto& c) -> auto& { return c.server.max_body_bytes; }));
  fields.push_back(integer_field(
      "server.drain_timeout_ms", 0, 3600000,
      "On SIGTERM or SIGINT: how long requests in flight may take to finish (streams included) "
      "while new ones get 503 shutting_down, which the proxy retries on another node; a node "
      "leaves its proxy first and a prefill node also waits for its kept caches to be pulled. "
      "0 cuts them at once.",
      kAllRoles, [](auto& c) -> auto& { return c.server.drain_timeout_ms; }));
  fields.push_back(aliased(
      secret_field(
          "server.cluster_token",
          "Shared secret of one cluster's processes. When set, the proxy's /nodes/add and "
          "/nodes/remove, a node's /distserve/* endpoints and requests carrying disaggd_pd need "
          "it in the X-Disaggd-Cluster-Token header, and this process sends it on its own calls "
          "to the proxy and to other nodes. Give every process of the cluster the same value.",
          kAllRoles, [](auto& c) -> auto& { return c.server.cluster_token; }),
      {"cluster-token"}));

  fields.push_back(enum_field(
      "log.level", log_level_names(),
      "Least severe log level written. LMDeploy's WARNING and FATAL are "
      "accepted; case does not matter.",
      kAllRoles, [](auto& c) -> auto& { return c.log.level; }));

  fields.push_back(aliased(
      directories_field(
          "plugins.dirs",
          "Extra plugin directories. Searched after DISAGGD_PLUGIN_PATH and before the install "
          "location (<prefix>/lib/disaggd/plugins). Relative paths are relative to the config "
          "file.",
          kAllRoles, [](auto& c) -> auto& { return c.plugins.dirs; }),
      {"plugin-dir"}));

  fields.push_back(
      aliased(plugin_field(
                  "proxy.routing_strategy", "routing",
                  "Routing plugin that picks a node for each request: random, "
                  "min_expected_latency, min_observed_latency, or a third-party plugin.",
                  kProxyRole, [](auto& c) -> auto& { return c.proxy.routing_strategy; }),
              {"routing-strategy"}));
  fields.push_back(
      aliased(options_field(
                  "proxy.routing_options",
                  "Options passed to the routing plugin (for example seed, window).", kProxyRole,
                  [](auto& c) -> auto& { return c.proxy.routing_options; }),
              {"routing-option"}));
  fields.push_back(
      aliased(enum_field(
                  "proxy.serving_strategy", serving_strategy_names(),
                  "Hybrid sends each request to one hybrid node; DistServe runs the prompt on a "
                  "prefill node and generates on a decode node.",
                  kProxyRole, [](auto& c) -> auto& { return c.proxy.serving_strategy; }),
              {"serving-strategy"}));
  fields.push_back(integer_field(
      "proxy.health_interval_ms", 50, 3600000,
      "Milliseconds between two GET /health checks of each registered node.", kProxyRole,
      [](auto& c) -> auto& { return c.proxy.health_interval_ms; }));
  fields.push_back(integer_field(
      "proxy.health_timeout_ms", 10, 600000,
      "A health check that has not answered 200 within this many milliseconds failed.", kProxyRole,
      [](auto& c) -> auto& { return c.proxy.health_timeout_ms; }));
  fields.push_back(integer_field(
      "proxy.health_failures", 1, 1000,
      "Consecutive failures (health checks, or requests the node failed) after which a node "
      "leaves rotation; one success brings it back.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.health_failures; }));
  fields.push_back(integer_field(
      "proxy.request_timeout_ms", 100, 86400000,
      "Deadline of one client request, from its arrival to the last byte of the answer, retries "
      "included. A node silent until then gets the client a 504; an answer still streaming is "
      "cut off.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.request_timeout_ms; }));
  fields.push_back(integer_field(
      "proxy.connect_timeout_ms", 10, 600000,
      "Longest wait, in milliseconds, for a TCP connection to a node; the request then tries "
      "another node.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.connect_timeout_ms; }));
  fields.push_back(integer_field(
      "proxy.max_connections_per_node", 1, 65536,
      "Keep-alive connections the proxy keeps to one node, in use and idle together. A request "
      "that finds them all busy waits for one (within its deadline). Keep it below the nodes' "
      "server.max_threads: each connection holds one of the node's threads.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.max_connections_per_node; }));
  fields.push_back(integer_field(
      "proxy.startup_grace_ms", 0, 600000,
      "For this long after the proxy starts, while no node at all is registered, a request "
      "waits for a node to register instead of getting 503 (the wait counts against its "
      "proxy.request_timeout_ms): after a proxy restart, nodes come back within their 10 s "
      "registration refresh. 0: answer 503 at once.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.startup_grace_ms; }));
  fields.push_back(
      aliased(secret_field(
                  "proxy.api_keys",
                  "Keys clients must send as 'Authorization: Bearer <key>' on /v1/* requests, "
                  "separated by commas. Empty: no key needed. The header is passed on to nodes.",
                  kProxyRole, [](auto& c) -> auto& { return c.proxy.api_keys; }),
              {"api-keys"}));
  fields.push_back(text_field(
      "proxy.admin.host", "Address the admin listener binds to.", kProxyRole,
      [](auto& c) -> auto& { return c.proxy.admin.host; }));
  fields.push_back(integer_field(
      "proxy.admin.port", 0, 65535,
      "TCP port of the admin listener; 0 picks a free port and logs it.", kProxyRole,
      [](auto& c) -> auto& { return c.proxy.admin.port; }));
  fields.push_back(secret_field(
      "proxy.admin.token",
      "Bearer token the admin endpoint requires. Without one the admin listener is not opened.",
      kProxyRole, [](auto& c) -> auto& { return c.proxy.admin.token; }));

  fields.push_back(aliased(url_field(
                               "node.proxy_url", "Proxy this node registers with; empty for none.",
                               kNodeRolesText, [](auto& c) -> auto& { return c.node.proxy_url; }),
                           {"proxy-url"}));
  fields.push_back(
      required_for(aliased(path_field(
                               "node.model",
                               "Hugging Face model folder (config.json, *.safetensors, tokenizer). "
                               "Relative paths are relative to the config file.",
                               kNodeRolesText, [](auto& c) -> auto& { return c.node.model; }),
                           {"model"}),
                   kNodeRoles));
  fields.push_back(
      aliased(plugin_field(
                  "node.backend", "model", "Model backend plugin that runs the forward pass.",
                  kNodeRolesText, [](auto& c) -> auto& { return c.node.backend; }),
              {"backend"}));
  fields.push_back(
      aliased(options_field(
                  "node.backend_options", "Options passed to the model backend plugin.",
                  kNodeRolesText, [](auto& c) -> auto& { return c.node.backend_options; }),
              {"backend-option"}));
  fields.push_back(
      aliased(plugin_field(
                  "node.migration_backend", "migration",
                  "Migration plugin that moves the KV cache from prefill to decode nodes.",
                  "prefill, decode", [](auto& c) -> auto& { return c.node.migration_backend; }),
              {"migration-backend"}));
  fields.push_back(
      aliased(options_field(
                  "node.migration_options", "Options passed to the migration plugin.",
                  "prefill, decode", [](auto& c) -> auto& { return c.node.migration_options; }),
              {"migration-option"}));
  fields.push_back(integer_field(
      "node.migration_timeout_ms", 10, 600000,
      "Decode nodes: longest time, in milliseconds, for connecting to a prefill node's migration "
      "endpoint and for pulling one prompt's KV; past it the decode node computes the prompt "
      "itself.",
      "prefill, decode", [](auto& c) -> auto& { return c.node.migration_timeout_ms; }));
  fields.push_back(integer_field(
      "node.kept_cache_ttl_ms", 10, 3600000,
      "Prefill nodes: how long, in milliseconds, a prompt's KV waits for the decode node to pull "
      "and release it before its blocks are freed anyway.",
      "prefill, decode", [](auto& c) -> auto& { return c.node.kept_cache_ttl_ms; }));
  fields.push_back(
      aliased(text_field(
                  "node.served_model_name",
                  "Model name clients send and /v1/models lists; empty: the model folder's name.",
                  kNodeRolesText, [](auto& c) -> auto& { return c.node.served_model_name; }),
              {"model-name"}));
  fields.push_back(path_field(
      "node.chat_template",
      "Jinja chat template file for /v1/chat/completions; empty: the model folder's own "
      "(chat_template.jinja or tokenizer_config.json). Relative paths are relative to the config "
      "file.",
      kNodeRolesText, [](auto& c) -> auto& { return c.node.chat_template; }));
  fields.push_back(integer_field(
      "node.max_batched_tokens", 1, 1 << 20,
      "Tokens one forward step may run, prompt chunks and decode tokens together; longer prompts "
      "are prefilled in chunks.",
      kNodeRolesText, [](auto& c) -> auto& { return c.node.max_batched_tokens; }));
  fields.push_back(aliased(integer_field(
                               "node.max_running", 1, 65536,
                               "Sequences generating at once; more requests wait in a queue.",
                               kNodeRolesText, [](auto& c) -> auto& { return c.node.max_running; }),
                           {"max-batch-size"}));
  return fields;
}

std::string flag_of(const std::string& path) {
  std::string flag = path;
  std::replace(flag.begin(), flag.end(), '.', '-');
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

}  // namespace

std::string FieldSpec::flag() const {
  return flag_of(path);
}

const std::vector<FieldSpec>& config_fields() {
  static const std::vector<FieldSpec> fields = build_fields();
  return fields;
}

const FieldSpec* find_field(const std::string& path) {
  for (const FieldSpec& field : config_fields()) {
    if (field.path == path) {
      return &field;
    }
  }
  return nullptr;
}

const FieldSpec* find_field_by_flag(const std::string& flag) {
  for (const FieldSpec& field : config_fields()) {
    if (field.flag() == flag ||
        std::find(field.aliases.begin(), field.aliases.end(), flag) != field.aliases.end()) {
      return &field;
    }
  }
  return nullptr;
}

}  // namespace disaggd::core
