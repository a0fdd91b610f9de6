-- Argo CD's built-in apps/DaemonSet health, line for line: gitops-engine v3.6.1
-- pkg/health/health_daemonset.go getAppsv1DaemonSetHealth. Absent fields read as Go's
-- zero values, as the typed conversion there gives them.
local function count(v)
  if v == nil then
    return 0
  end
  return v
end

local function builtinHealth(obj)
  local meta = obj.metadata or {}
  local spec = obj.spec or {}
  local status = obj.status or {}
  if count(meta.generation) > count(status.observedGeneration) then
    return {
      status = "Progressing",
      message = "Waiting for rollout to finish: observed daemon set generation less than desired generation",
    }
  end
  local desired = count(status.desiredNumberScheduled)
  local updated = count(status.updatedNumberScheduled)
  local available = count(status.numberAvailable)
  if (spec.updateStrategy or {}).type == "OnDelete" then
    return {
      status = "Healthy",
      message = "daemon set " .. updated .. " out of " .. desired .. " new pods have been updated",
    }
  end
  local quoted = "\"" .. tostring(meta.name or "") .. "\""
  if updated < desired then
    return {
      status = "Progressing",
      message = "Waiting for daemon set " .. quoted .. " rollout to finish: " .. updated .. " out of "
        .. desired .. " new pods have been updated...",
    }
  end
  if available < desired then
    return {
      status = "Progressing",
      message = "Waiting for daemon set " .. quoted .. " rollout to finish: " .. available .. " of "
        .. desired .. " updated pods are available...",
    }
  end
  return { status = "Healthy", message = "" }
end

return overlay(obj, builtinHealth(obj))
