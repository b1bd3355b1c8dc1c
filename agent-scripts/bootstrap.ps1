$ErrorActionPreference = 'Stop'
$l = @($input | ForEach-Object { [string]$_ })
function Fail($c, $t) { $b = [Text.Encoding]::UTF8.GetBytes('{"protocol":1,"agent":null,"verb":null,"ok":false,"data":null,"error":{"code":"' + $c + '","text":"' + $t + '"}}'); $o = [Console]::OpenStandardOutput(); $o.Write($b, 0, $b.Length); $o.Flush(); exit 2 }
if ($l.Count -lt 3 -or $l[0] -ne 'esuctl-agent 1') { Fail 'protocol' 'stdin does not start with esuctl-agent 1' }
$s = [Convert]::FromBase64String($l[1])
$h = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($s) | ForEach-Object { $_.ToString('x2') })
if ($h -ne '@@SHA256@@') { Fail 'hash' 'agent script hash mismatch' }
$a = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[2]))
$k = $null; if ($l.Count -gt 3 -and $l[3]) { $k = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[3])) }
& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString($s))) $a $k
