-- Argo CD's built-in apps/StatefulSet health, line for line: gitops-engine v3.6.1
-- pkg/health/health_statefulset.go getAppsv1StatefulSetHealth. Absent fields read as Go's
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
  local observed = count(status.observedGeneration)
  if observed == 0 or count(meta.generation) > observed then
    return { status = "Progressing", message = "Waiting for statefulset spec update to be observed..." }
  end
  local ready = count(status.readyReplicas)
  local updated = count(status.updatedReplicas)
  if spec.replicas ~= nil and ready < spec.replicas then
    return { status = "Progressing", message = "Waiting for " .. (spec.replicas - ready) .. " pods to be ready..." }
  end
  local strategy = spec.updateStrategy or {}
  if strategy.type == "RollingUpdate" and strategy.rollingUpdate ~= nil then
    local partition = strategy.rollingUpdate.partition
    if spec.replicas ~= nil and partition ~= nil then
      if updated < spec.replicas - partition then
        return {
          status = "Progressing",
          message = "Waiting for partitioned roll out to finish: " .. updated .. " out of "
            .. (spec.replicas - partition) .. " new pods have been updated...",
        }
      end
    end
    return { status = "Healthy", message = "partitioned roll out complete: " .. updated .. " new pods have been updated..." }
  end
  if strategy.type == "OnDelete" then
    return { status = "Healthy", message = "statefulset has " .. ready .. " ready pods" }
  end
  local updateRevision = status.updateRevision or ""
  local currentRevision = status.currentRevision or ""
  if updateRevision ~= currentRevision then
    return {
      status = "Progressing",
      message = "waiting for statefulset rolling update to complete " .. updated .. " pods at revision "
        .. updateRevision .. "...",
    }
  end
  return {
    status = "Healthy",
    message = "statefulset rolling update complete " .. count(status.currentReplicas) .. " pods at revision "
      .. currentRevision .. "...",
  }
end

return overlay(obj, builtinHealth(obj))
