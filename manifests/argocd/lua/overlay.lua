-- BEGIN groundtruth overlay (identical in the three scripts; tests/health checks it)
-- Runs in Argo CD's default sandbox: Lua 5.1 base + table only, no string library,
-- so the annotation mirror "<status>/<reason>/<generation>" is matched whole against
-- the forms built with `..` for this object's metadata.generation.
local MIRROR = "groundtruth.dev/runtime-compliant"
local KNOWN = {
  { "True", "Compliant" }, { "Unknown", "Observing" }, { "Unknown", "NoData" },
  { "False", "OOMKilled" }, { "False", "MemoryThrashing" }, { "False", "MemorySaturated" },
  { "False", "CPUThrottled" }, { "False", "IOContention" }, { "False", "ProcessesBlocked" },
  { "False", "PidsExhausted" }, { "False", "NodeOvercommitted" }, { "False", "NetworkDegraded" },
}

local function withNote(message, note)
  if message == nil or message == "" then
    return note
  end
  return message .. "; " .. note
end

local function verdictLabel(v)
  return "RuntimeCompliant " .. tostring(v.status) .. "/" .. tostring(v.reason)
end

-- The verdict the object carries for its current generation, or nil when it carries none.
-- A verdict the mirror places on another generation counts as Unknown/Observing.
local function runtimeVerdict(obj)
  local meta = obj.metadata or {}
  local cond = nil
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == "RuntimeCompliant" then
        cond = c
        break
      end
    end
  end
  local mirror = nil
  if meta.annotations ~= nil then
    mirror = meta.annotations[MIRROR]
  end
  if mirror == "" then
    mirror = nil
  end
  if cond == nil and mirror == nil then
    return nil
  end
  if mirror == nil then
    -- No mirror to date the condition with: trust the condition.
    return { status = cond.status, reason = cond.reason, message = cond.message }
  end
  local forms = {}
  if cond ~= nil then
    table.insert(forms, { cond.status, cond.reason })
  end
  for _, form in ipairs(KNOWN) do
    table.insert(forms, form)
  end
  local current = nil
  if meta.generation ~= nil then
    for _, form in ipairs(forms) do
      if mirror == tostring(form[1]) .. "/" .. tostring(form[2]) .. "/" .. tostring(meta.generation) then
        current = form
        break
      end
    end
  end
  if current == nil then
    return {
      status = "Unknown",
      reason = "Observing",
      message = "verdict " .. MIRROR .. "=" .. tostring(mirror) .. " is not for generation "
        .. tostring(meta.generation),
    }
  end
  if cond == nil then
    return {
      status = current[1],
      reason = current[2],
      message = "from annotation " .. MIRROR .. " (condition not present)",
      mirrorOnly = true,
    }
  end
  if current[1] ~= cond.status or current[2] ~= cond.reason then
    return {
      status = "Unknown",
      reason = "Observing",
      message = "condition " .. verdictLabel(cond) .. " and annotation " .. tostring(mirror)
        .. " disagree",
    }
  end
  return { status = cond.status, reason = cond.reason, message = cond.message }
end

-- False -> Degraded; Unknown/Observing -> at least Progressing; True -> the built-in result;
-- Unknown/NoData, anything else, or no verdict -> the built-in result with a note.
local function overlay(obj, hs)
  local v = runtimeVerdict(obj)
  if v == nil then
    hs.message = withNote(hs.message, "groundtruth: no RuntimeCompliant verdict yet")
    return hs
  end
  local detail = verdictLabel(v)
  if v.message ~= nil and v.message ~= "" then
    detail = detail .. ": " .. v.message
  end
  if v.status == "False" then
    local message = v.message
    if message == nil or message == "" or v.mirrorOnly then
      message = detail
    end
    if hs.status == "Degraded" then
      message = message .. "; " .. hs.message
    end
    return { status = "Degraded", message = message }
  end
  if v.status == "True" then
    return hs
  end
  if v.status == "Unknown" and v.reason == "Observing" then
    if hs.status == "Healthy" or hs.status == "Suspended" then
      return { status = "Progressing", message = "groundtruth: " .. detail }
    end
    hs.message = withNote(hs.message, "groundtruth: " .. detail)
    return hs
  end
  hs.message = withNote(hs.message, "groundtruth: " .. detail)
  return hs
end
-- END groundtruth overlay
