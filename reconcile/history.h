// The recent readings a Judge carries between evaluations, packed: only the fields the
// rules read, the ones that changed since the previous reading as varints of the change
// (a healthy container's reading packs into ~15 bytes). Windows slide over these, so a caller
// may pass only the readings it has not passed before (plus one base).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/reading.h"

namespace gt::reconcile {

// Readings oldest first. Fields the rules do not read (PSI averages, anon, swap, I/O bytes,
// rx/tx, process count) are dropped; every other field round-trips exactly.
std::string PackReadings(const std::vector<const CgroupReading*>& readings);
// Empty on a malformed pack (never produced by PackReadings): a judge then starts afresh.
std::vector<CgroupReading> UnpackReadings(std::string_view packed);

// A node's: the fields NodeOvercommitted reads (time, Committed_AS, CommitLimit, memory PSI).
std::string PackReadings(const std::vector<const NodeReading*>& readings);
std::vector<NodeReading> UnpackNodeReadings(std::string_view packed);

}  // namespace gt::reconcile
