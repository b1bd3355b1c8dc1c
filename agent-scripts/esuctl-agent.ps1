param([string]$RequestJson, [string]$Secret)
# placeholder until the agent lands
