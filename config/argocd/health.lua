-- Argo CD health check for the access.tenancy.dev kinds (Tenant, Member, Role,
-- PermissionSet, PartnerAccess, VisibilityPolicy, EffectivePermission).
-- It reads what the controller writes, as kstatus does (docs/controller.md):
--   Healthy      Ready=True for the object's current generation
--   Degraded     Stalled=True: a broken invariant only a person can fix
--   Progressing  not looked at yet (status.observedGeneration below
--                metadata.generation), or Reconciling=True / Ready not True:
--                waiting for an input that may still arrive
local hs = {status = "Progressing", message = "waiting for access-controller to look at this generation"}
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  hs.message = "access-controller has observed generation " .. observed .. " of " .. generation
  return hs
end
local ready, reconciling, stalled = nil, nil, nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then ready = c end
    if c.type == "Reconciling" then reconciling = c end
    if c.type == "Stalled" then stalled = c end
  end
end
if stalled ~= nil and stalled.status == "True" then
  return {status = "Degraded", message = stalled.message}
end
if ready ~= nil and ready.status == "True" then
  return {status = "Healthy", message = ready.message}
end
if reconciling ~= nil and reconciling.status == "True" then
  return {status = "Progressing", message = reconciling.message}
end
if ready ~= nil then
  hs.message = ready.message
end
return hs
