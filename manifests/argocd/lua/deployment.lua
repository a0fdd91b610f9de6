-- Argo CD's built-in apps/Deployment health, line for line: gitops-engine v3.6.1
-- pkg/health/health_deployment.go getAppsv1DeploymentHealth. Absent fields read as Go's
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
  if spec.paused == true then
    return { status = "Suspended", message = "Deployment is paused" }
  end
  if count(meta.generation) <= count(status.observedGeneration) then
    local progressing = nil
    for _, c in ipairs(status.conditions or {}) do
      if c.type == "Progressing" then
        progressing = c
        break
      end
    end
    local replicas = count(status.replicas)
    local updated = count(status.updatedReplicas)
    local available = count(status.availableReplicas)
    if progressing ~= nil and progressing.reason == "ProgressDeadlineExceeded" then
      return {
        status = "Degraded",
        message = "Deployment \"" .. tostring(meta.name or "") .. "\" exceeded its progress deadline",
      }
    elseif spec.replicas ~= nil and updated < spec.replicas then
      return {
        status = "Progressing",
        message = "Waiting for rollout to finish: " .. updated .. " out of " .. spec.replicas
          .. " new replicas have been updated...",
      }
    elseif replicas > updated then
      return {
        status = "Progressing",
        message = "Waiting for rollout to finish: " .. (replicas - updated)
          .. " old replicas are pending termination...",
      }
    elseif available < updated then
      return {
        status = "Progressing",
        message = "Waiting for rollout to finish: " .. available .. " of " .. updated
          .. " updated replicas are available...",
      }
    end
  else
    return {
      status = "Progressing",
      message = "Waiting for rollout to finish: observed deployment generation less than desired generation",
    }
  end
  return { status = "Healthy", message = "" }
end

return overlay(obj, builtinHealth(obj))
