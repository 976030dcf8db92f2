// Names of the config enums.
#include "core/config/config.h"

#include "core/config/config_enums.h"

namespace disaggd::core {

std::string_view role_name(Role role) {
  return enum_name(role_names(), role);
}

std::string_view serving_strategy_name(ServingStrategy strategy) {
  return enum_name(serving_strategy_names(), strategy);
}

std::string_view log_level_name(LogLevel level) {
  return enum_name(log_level_names(), level);
}

bool is_node_role(Role role) {
  return role != Role::kProxy;
}

}  // namespace disaggd::core
