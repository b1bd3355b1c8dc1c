param([string]$RequestJson, [string]$Secret)
# esuctl agent, protocol 1 (docs/agent-protocol.md). Runs on the guest under Windows PowerShell 4.0
# (Server 2012 / 2012 R2 in-box): keep it free of PS 5+ syntax and cmdlets; scripts/check-agent-scripts
# enforces that in CI.

$ErrorActionPreference = 'Stop'
# Progress records become CLIXML noise on stderr when stdout is not a console.
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 2.0

$AgentVersion = '1.0.0'
$script:Verb = $null
$Invariant = [Globalization.CultureInfo]::InvariantCulture
$GuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$CbsPackagesKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages'
# CBS CurrentState (registry, high nibble = CbsInstallState): 0x50 Superseded, 0x60 Install Pending,
# 0x70 Installed, 0x80 Permanent. Permanent is an installed package that cannot be removed (SSUs),
# so it counts as installed too.
$CbsPresentStates = @(0x50, 0x60, 0x70, 0x80)
$CbsInstalledStates = @(0x70, 0x80)
$CbsInstallPending = 0x60
$LicenseStatusNames = @('unlicensed', 'licensed', 'oobGrace', 'ootGrace', 'nonGenuineGrace', 'notification', 'extendedGrace')

# Windows PowerShell's types.ps1xml gives System.Array an extended Count member; once an array is
# wrapped in a PSObject, ConvertTo-Json then writes {"value":[...],"Count":n} instead of [...].
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue

# ---------------------------------------------------------------------------------------------
# Reply

function Write-Envelope {
    param([bool]$Ok, $Data, [string]$Code, [string]$Text)
    $err = $null
    if (-not $Ok) {
        $err = [ordered]@{ code = $Code; text = (Protect-Text $Text) }
    }
    $envelope = [ordered]@{
        protocol = 1
        agent    = $AgentVersion
        verb     = $script:Verb
        ok       = $Ok
        data     = $Data
        error    = $err
    }
    $json = ConvertTo-Json -InputObject $envelope -Depth 10 -Compress
    # The raw stream, not Write-Output: the console code page (cp932 on Japanese guests) would
    # otherwise re-encode every non-ASCII character.
    $bytes = (New-Object Text.UTF8Encoding($false)).GetBytes($json)
    $stdout = [Console]::OpenStandardOutput()
    $stdout.Write($bytes, 0, $bytes.Length)
    $stdout.Flush()
}

# A verb returns one of these; the dispatcher turns it into the envelope and the exit status.
function New-Success($Data) { return @{ ok = $true; data = $Data; code = $null; text = $null } }
function New-Failure([string]$Code, [string]$Text) { return @{ ok = $false; data = $null; code = $Code; text = $Text } }

# Defence in depth: no error text may ever carry the product key, whatever Windows puts in it.
function Protect-Text([string]$Text) {
    if ($null -eq $Text) { return '' }
    if ($Secret) {
        $Text = $Text.Replace($Secret, '*****')
        $Text = $Text.Replace($Secret.Trim().ToUpperInvariant(), '*****')
    }
    if ($Text.Length -gt 4000) { $Text = $Text.Substring(0, 4000) }
    return $Text.Trim()
}

# HResult of the innermost exception that carries a Windows code. WMI method failures arrive as a
# MethodInvocationException wrapping a COMException (licensing codes such as 0xC004F050), query
# failures as a ManagementException whose ErrorCode is the WBEM status; the CLR's own 0x8013xxxx
# codes on the wrappers say nothing about Windows and are skipped.
function Get-ErrorCode($Exception) {
    $found = $null
    $e = $Exception
    while ($null -ne $e) {
        $hr = $null
        if ($e -is [Runtime.InteropServices.COMException]) {
            $hr = [int]$e.ErrorCode
        } elseif ($e -is [Management.ManagementException]) {
            $hr = [int]$e.ErrorCode
        } else {
            $candidate = [int]$e.HResult
            if ((($candidate -band 0xFFFF0000) -ne 0x80130000) -and $candidate -ne 0) { $hr = $candidate }
        }
        if ($null -ne $hr -and $hr -ne 0) { $found = $hr }
        $e = $e.InnerException
    }
    if ($null -eq $found) { return $null }
    return Format-HResult $found
}

function Format-HResult([long]$Value) {
    # Exit codes and HResults arrive both signed (Int32) and unsigned; fold into 32 bits.
    $u = $Value -band [long]4294967295
    return '0x' + $u.ToString('X8', $Invariant)
}

function Get-ErrorText($Exception) {
    $e = $Exception
    while ($null -ne $e.InnerException) { $e = $e.InnerException }
    return [string]$e.Message
}

function New-FailureFromException($Exception, [string]$Fallback) {
    $code = Get-ErrorCode $Exception
    if ($null -eq $code) { $code = $Fallback }
    return New-Failure $code (Get-ErrorText $Exception)
}

# ---------------------------------------------------------------------------------------------
# Helpers

function Format-IsoTime([datetime]$Time) {
    # Invariant culture: ':' is the culture's time separator and th-TH would print a Buddhist year.
    return $Time.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", $Invariant)
}

function Format-Day([datetime]$Time) {
    return $Time.ToString("yyyy'-'MM'-'dd", $Invariant)
}

function Get-Arg($Request, [string]$Name) {
    $a = $null
    if ($Request.PSObject.Properties['args']) { $a = $Request.args }
    if ($null -eq $a) { return $null }
    $p = $a.PSObject.Properties[$Name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function Test-Guid($Value) {
    return ($Value -is [string]) -and ($Value -match $GuidPattern)
}

function Get-OemEncoding {
    # Console tools (cscript, dism, expand) write in the console's output code page, which child
    # processes inherit from us; without a console, the system OEM code page is what they use.
    try {
        $cp = [Console]::OutputEncoding.CodePage
        if ($cp -gt 0) { return [Text.Encoding]::GetEncoding($cp) }
    } catch { }
    return [Text.Encoding]::GetEncoding([Globalization.CultureInfo]::InstalledUICulture.TextInfo.OEMCodePage)
}

# Runs a program without a shell and returns its exit code and decoded output. Native calls via
# '&' are avoided: with $ErrorActionPreference = 'Stop', PS 4 turns the first stderr line of
# `tool 2>&1` into a terminating error, and '&' offers no timeout.
function Invoke-Program([string]$FilePath, [string]$Arguments, [int]$TimeoutSeconds) {
    $enc = Get-OemEncoding
    $psi = New-Object Diagnostics.ProcessStartInfo
    $psi.FileName = $FilePath
    $psi.Arguments = $Arguments
    $psi.UseShellExecute = $false
    # Sharing our console (no CreateNoWindow) keeps the child on the same output code page.
    $psi.CreateNoWindow = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.StandardOutputEncoding = $enc
    $psi.StandardErrorEncoding = $enc
    $proc = [Diagnostics.Process]::Start($psi)
    # Both pipes are drained concurrently so a chatty tool cannot block on a full pipe.
    $outTask = $proc.StandardOutput.ReadToEndAsync()
    $errTask = $proc.StandardError.ReadToEndAsync()
    $proc.StandardInput.Close()
    $timedOut = $false
    if (-not $proc.WaitForExit($TimeoutSeconds * 1000)) {
        $timedOut = $true
        try { $proc.Kill() } catch { }
        $null = $proc.WaitForExit(10000)
    } else {
        # The parameterless wait also waits for the redirected streams to reach EOF.
        $proc.WaitForExit()
    }
    $out = ''
    $err = ''
    if ($outTask.Wait(10000)) { $out = [string]$outTask.Result }
    if ($errTask.Wait(10000)) { $err = [string]$errTask.Result }
    $exit = -1
    if (-not $timedOut) { $exit = [int]$proc.ExitCode }
    return @{ exitCode = $exit; stdout = $out; stderr = $err; timedOut = $timedOut }
}

function Get-LastBootTime {
    $os = Get-WmiObject -Class Win32_OperatingSystem -Property LastBootUpTime
    if (-not $os.LastBootUpTime) { return $null }
    return Format-IsoTime ([Management.ManagementDateTimeConverter]::ToDateTime([string]$os.LastBootUpTime))
}

# Win32_QuickFixEngineering.InstalledOn is text: 'M/d/yyyy' (en-US form whatever the locale) since
# Windows 7, a hex FILETIME on older builds, sometimes empty. Anything else stays null rather than
# a guessed date. The ETS InstalledOn property is bypassed because it re-parses with the guest's
# culture and fails on non-US locales.
function ConvertFrom-QfeDate([string]$Text) {
    if (-not $Text) { return $null }
    $t = $Text.Trim()
    $styles = [Globalization.DateTimeStyles]::None
    $parsed = [datetime]::MinValue
    if ($t -match '^[0-9A-Fa-f]{15,16}$') {
        try { return Format-Day ([datetime]::FromFileTimeUtc([Convert]::ToInt64($t, 16))) } catch { return $null }
    }
    if ($t -match '^(\d{1,2})/(\d{1,2})/(\d{4})$') {
        $m = [int]$Matches[1]
        $d = [int]$Matches[2]
        # Only a first field above 12 proves a day-first form; otherwise it is the provider's M/d.
        if ($m -gt 12 -and $d -le 12) {
            $tmp = $m
            $m = $d
            $d = $tmp
        }
        try { return Format-Day (New-Object DateTime -ArgumentList @([int]$Matches[3], $m, $d)) } catch { return $null }
    }
    $formats = [string[]]@('yyyy-MM-dd', 'yyyy/MM/dd', 'yyyyMMdd', 'yyyy-M-d', 'yyyy/M/d')
    if ([datetime]::TryParseExact($t, $formats, $Invariant, $styles, [ref]$parsed)) { return Format-Day $parsed }
    return $null
}

function Get-CbsInstallDay($Key) {
    # CBS stores the install time as a FILETIME split into two DWORDs.
    try {
        $high = $Key.GetValue('InstallTimeHigh')
        $low = $Key.GetValue('InstallTimeLow')
        if ($null -eq $high -or $null -eq $low) { return $null }
        $ft = ((([long]$high) -band [long]4294967295) * [long]4294967296) + (([long]$low) -band [long]4294967295)
        if ($ft -le 0) { return $null }
        return Format-Day ([datetime]::FromFileTimeUtc($ft))
    } catch {
        return $null
    }
}

function Get-CbsRank([int]$State) {
    if ($CbsInstalledStates -contains $State) { return 3 }
    if ($State -eq $CbsInstallPending) { return 2 }
    if ($CbsPresentStates -contains $State) { return 1 }
    return 0
}

# Package_for_KB* entries of the component store, which sees updates QFE sometimes misses.
# Returns @{ 'KB123' = @{ state = <highest-priority state>; installedOn = day-or-null } }.
function Get-CbsPackages {
    $result = @{}
    $keys = @()
    try { $keys = @(Get-ChildItem -LiteralPath $CbsPackagesKey -ErrorAction Stop | Where-Object { $_.PSChildName -like 'Package_for_KB*' }) } catch { return $result }
    foreach ($key in $keys) {
        if ($key.PSChildName -notmatch '^Package_for_(KB\d+)') { continue }
        $kb = $Matches[1].ToUpperInvariant()
        $state = $null
        try { $state = $key.GetValue('CurrentState') } catch { }
        if ($null -eq $state) { continue }
        $state = [int]$state
        $entry = $result[$kb]
        if ($null -eq $entry) {
            $entry = @{ state = $state; installedOn = $null }
            $result[$kb] = $entry
        } elseif ((Get-CbsRank $state) -gt (Get-CbsRank $entry.state)) {
            # Several packages per KB are normal; an installed one outranks pending or superseded.
            $entry.state = $state
        }
        if ($null -eq $entry.installedOn -and $CbsPresentStates -contains $state) {
            $entry.installedOn = Get-CbsInstallDay $key
        }
    }
    return $result
}

function Get-Hotfixes {
    $days = @{}
    $order = New-Object Collections.ArrayList
    $qfe = @()
    try { $qfe = @(Get-WmiObject -Class Win32_QuickFixEngineering -Property @('HotFixID', 'InstalledOn')) } catch { }
    foreach ($q in $qfe) {
        $id = [string]$q.psbase.Properties['HotFixID'].Value
        if ($id -notmatch '^\s*(KB\d+)\s*$') { continue }
        $kb = $Matches[1].ToUpperInvariant()
        $day = ConvertFrom-QfeDate ([string]$q.psbase.Properties['InstalledOn'].Value)
        if (-not $days.ContainsKey($kb)) {
            $days[$kb] = $day
            $null = $order.Add($kb)
        } elseif ($null -eq $days[$kb]) {
            $days[$kb] = $day
        }
    }
    $cbs = Get-CbsPackages
    foreach ($kb in @($cbs.Keys)) {
        $entry = $cbs[$kb]
        if ($CbsPresentStates -notcontains $entry.state) { continue }
        if (-not $days.ContainsKey($kb)) {
            $days[$kb] = $entry.installedOn
            $null = $order.Add($kb)
        } elseif ($null -eq $days[$kb]) {
            $days[$kb] = $entry.installedOn
        }
    }
    $sorted = @($order | Sort-Object { [long]($_.Substring(2)) })
    $list = New-Object Collections.ArrayList
    foreach ($kb in $sorted) {
        $null = $list.Add([ordered]@{ id = [string]$kb; installedOn = $days[$kb] })
    }
    return , $list.ToArray()
}

function Get-PendingReboot {
    $reasons = New-Object Collections.ArrayList
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') {
        $null = $reasons.Add('CBS RebootPending')
    }
    if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') {
        $null = $reasons.Add('WindowsUpdate RebootRequired')
    }
    try {
        $sm = Get-Item -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
        $renames = $sm.GetValue('PendingFileRenameOperations')
        # The value often survives as an empty REG_MULTI_SZ after the renames ran.
        if ($null -ne $renames -and @($renames | Where-Object { $_ }).Count -gt 0) {
            $null = $reasons.Add('PendingFileRenameOperations')
        }
    } catch { }
    return [ordered]@{ pending = ($reasons.Count -gt 0); reasons = [string[]]$reasons.ToArray() }
}

function Get-LicenseStatusName($Value) {
    if ($null -eq $Value) { return 'unknown' }
    $n = [int]$Value
    if ($n -ge 0 -and $n -lt $LicenseStatusNames.Count) { return $LicenseStatusNames[$n] }
    return 'unknown'
}

function ConvertTo-NullIfEmpty($Value) {
    if ($null -eq $Value) { return $null }
    $s = [string]$Value
    if ($s.Length -eq 0) { return $null }
    return $s
}

function Get-Licenses([string]$ApplicationId, [string[]]$EsuIds) {
    $wanted = @{}
    foreach ($id in $EsuIds) { $wanted[$id.ToLowerInvariant()] = $true }
    # Naming the properties keeps WMI from computing the expensive ones (installation IDs etc.).
    $products = @(Get-WmiObject -Class SoftwareLicensingProduct -Filter "ApplicationID='$ApplicationId'" `
            -Property @('ID', 'ApplicationID', 'Name', 'Description', 'PartialProductKey', 'LicenseStatus'))
    $list = New-Object Collections.ArrayList
    foreach ($p in $products) {
        $id = ([string]$p.ID).ToLowerInvariant()
        $ppk = ConvertTo-NullIfEmpty $p.PartialProductKey
        if ($null -eq $ppk -and -not $wanted.ContainsKey($id)) { continue }
        $app = ConvertTo-NullIfEmpty $p.ApplicationID
        if ($null -ne $app) { $app = $app.ToLowerInvariant() }
        $null = $list.Add([ordered]@{
                activationId      = $id
                applicationId     = $app
                name              = [string]$p.Name
                description       = [string]$p.Description
                partialProductKey = $ppk
                licenseStatus     = (Get-LicenseStatusName $p.LicenseStatus)
            })
    }
    return , $list.ToArray()
}

function Get-ArcEsuEnabled {
    try {
        $key = Get-Item -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Azure Connected Machine Agent\ArcESU' -ErrorAction Stop
        $v = $key.GetValue('Enabled')
        if ($null -eq $v) { return $false }
        return ([string]$v).Trim() -eq '1'
    } catch {
        return $false
    }
}

function Get-SlmgrDlv {
    try {
        $slmgr = Join-Path $env:windir 'System32\slmgr.vbs'
        $cscript = Join-Path $env:windir 'System32\cscript.exe'
        $r = Invoke-Program $cscript ('//nologo "' + $slmgr + '" /dlv') 180
        if ($r.timedOut) { return $null }
        $text = $r.stdout
        if ($r.stderr) { $text = $text + $r.stderr }
        if (-not $text) { return $null }
        return [string]$text
    } catch {
        return $null
    }
}

# ---------------------------------------------------------------------------------------------
# Verbs

function Invoke-Collect($Request) {
    $appId = Get-Arg $Request 'windowsApplicationId'
    if ($null -eq $appId) { $appId = '55c92734-d682-4d71-983e-d6ec3f16059f' }
    if (-not (Test-Guid $appId)) { return New-Failure 'args' 'windowsApplicationId is not a GUID' }
    $esuIds = New-Object Collections.ArrayList
    $rawIds = Get-Arg $Request 'esuActivationIds'
    if ($null -ne $rawIds) {
        foreach ($id in @($rawIds)) {
            if (-not (Test-Guid $id)) { return New-Failure 'args' 'esuActivationIds holds a value that is not a GUID' }
            $null = $esuIds.Add($id)
        }
    }

    $collectedAt = Format-IsoTime (Get-Date)
    try {
        $os = Get-WmiObject -Class Win32_OperatingSystem
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }

    # The language slmgr prints in is the UI language of this session's user (slmgr\<LCID>\slmgr.ini
    # follows it); the install language and the MUI list are fallbacks.
    $uiLanguage = $null
    try { $uiLanguage = [Globalization.CultureInfo]::CurrentUICulture.Name } catch { }
    if (-not $uiLanguage) {
        try {
            $mui = @($os.MUILanguages)
            if ($mui.Count -gt 0 -and $mui[0]) { $uiLanguage = [string]$mui[0] }
        } catch { }
    }
    if (-not $uiLanguage) {
        try { $uiLanguage = (New-Object Globalization.CultureInfo ([int]$os.OSLanguage)).Name } catch { }
    }
    $lastBoot = $null
    try { $lastBoot = Format-IsoTime ([Management.ManagementDateTimeConverter]::ToDateTime([string]$os.LastBootUpTime)) } catch { }

    $osRecord = [ordered]@{
        caption     = ([string]$os.Caption).Trim()
        version     = [string]$os.Version
        productType = [int]$os.ProductType
    }
    if ($uiLanguage) { $osRecord.uiLanguage = [string]$uiLanguage }
    if ($lastBoot) { $osRecord.lastBootUpTime = $lastBoot }

    $licenses = $null
    $licenseSource = 'wmi'
    try {
        $licenses = Get-Licenses $appId ([string[]]$esuIds.ToArray())
    } catch {
        $licenses = $null
        $licenseSource = 'wmi-failed'
    }

    $hostName = [string]$os.CSName
    if (-not $hostName) { $hostName = [string]$env:COMPUTERNAME }

    $facts = [ordered]@{
        schema        = 1
        host          = $hostName
        collectedAt   = $collectedAt
        os            = $osRecord
        hotfixes      = (Get-Hotfixes)
        pendingReboot = (Get-PendingReboot)
        licenses      = $licenses
        licenseSource = $licenseSource
        arc           = [ordered]@{ esuEnabled = [bool](Get-ArcEsuEnabled) }
        evidence      = [ordered]@{ slmgrDlv = (Get-SlmgrDlv) }
    }
    return New-Success $facts
}

function Get-InstalledState([string]$Kb) {
    # 'installed', 'pending' (installed, restart outstanding) or $null.
    $cbs = Get-CbsPackages
    $entry = $cbs[$Kb]
    if ($null -ne $entry) {
        if ($CbsInstalledStates -contains $entry.state) { return 'installed' }
        if ($entry.state -eq $CbsInstallPending) { return 'pending' }
    }
    try {
        $q = @(Get-WmiObject -Class Win32_QuickFixEngineering -Filter "HotFixID='$Kb'" -Property HotFixID)
        if ($q.Count -gt 0) { return 'installed' }
    } catch { }
    return $null
}

function Invoke-InstallPackage($Request) {
    $path = Get-Arg $Request 'path'
    $sha = Get-Arg $Request 'sha256'
    $kb = Get-Arg $Request 'kb'
    if (-not ($kb -is [string]) -or $kb -notmatch '^[Kk][Bb]\d{1,10}$') { return New-Failure 'args' 'kb must look like KB5017220' }
    $kb = $kb.ToUpperInvariant()
    if (-not ($sha -is [string]) -or $sha -notmatch '^[0-9a-fA-F]{64}$') { return New-Failure 'args' 'sha256 must be 64 hex digits' }
    # A relative path is where the controller's SFTP upload landed: the SSH user's home.
    if (($path -is [string]) -and $path -notmatch '^([A-Za-z]:|[\\/])') { $path = Join-Path $env:USERPROFILE $path }
    # The path goes into a program's argument string, so it must not be able to close our quotes.
    if (-not ($path -is [string]) -or $path -notmatch '^[A-Za-z]:\\[^"*?<>|\r\n]+\.msu$') {
        return New-Failure 'args' 'path must be an .msu file under the home directory or an absolute local path'
    }
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { return New-Failure 'not-found' ("file not found: " + $path) }

    $actual = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
    if ($actual -ne $sha) {
        return New-Failure 'hash-mismatch' ("SHA-256 of " + $path + " is " + $actual.ToLowerInvariant() + ", expected " + $sha.ToLowerInvariant())
    }

    $present = Get-InstalledState $kb
    if ($null -ne $present) {
        return New-Success ([ordered]@{ kb = $kb; result = 'alreadyInstalled'; restartRequired = ($present -eq 'pending'); exitCode = 0 })
    }

    $work = Join-Path ([IO.Path]::GetTempPath()) ('esuctl-' + [Guid]::NewGuid().ToString('N'))
    try {
        $null = New-Item -ItemType Directory -Path $work -Force
        $expand = Join-Path $env:windir 'System32\expand.exe'
        $x = Invoke-Program $expand ('-F:* "' + $path + '" "' + $work + '"') 1800
        if ($x.timedOut) { return New-Failure 'internal' 'expand.exe did not finish within 30 minutes' }
        if ($x.exitCode -ne 0) { return New-Failure (Format-HResult $x.exitCode) ($x.stdout + $x.stderr) }

        # An .msu also holds WSUSSCAN.cab and the package XML; the payload cab is named after the KB.
        $cabs = @(Get-ChildItem -LiteralPath $work -Filter '*.cab' | Where-Object { $_.Name.IndexOf($kb, [StringComparison]::OrdinalIgnoreCase) -ge 0 } | Sort-Object Name)
        if ($cabs.Count -eq 0) { return New-Failure 'not-found' ("no cab named after " + $kb + " inside " + $path) }
        $cab = $cabs[0].FullName

        $dism = Join-Path $env:windir 'System32\dism.exe'
        $r = Invoke-Program $dism ('/Online /Add-Package /PackagePath:"' + $cab + '" /Quiet /NoRestart') 7200
        if ($r.timedOut) { return New-Failure 'internal' 'dism.exe did not finish within 2 hours' }
        $code = $r.exitCode
        if ($code -eq 0) {
            return New-Success ([ordered]@{ kb = $kb; result = 'installed'; restartRequired = $false; exitCode = 0 })
        }
        if ($code -eq 3010) {
            return New-Success ([ordered]@{ kb = $kb; result = 'installed'; restartRequired = $true; exitCode = 3010 })
        }
        $text = ($r.stdout + "`r`n" + $r.stderr).Trim()
        if ((Format-HResult $code) -eq '0x800F081E') {
            if (-not $text) { $text = 'The package is not applicable to this computer.' }
            return New-Failure '0x800F081E' $text
        }
        if (-not $text) { $text = 'dism.exe exited with ' + (Format-HResult $code) }
        return New-Failure (Format-HResult $code) $text
    } finally {
        # DISM can hold the cab for a moment after exit; a leftover temp dir is not worth failing for.
        try { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Stop } catch { }
    }
}

function Update-LicenseStatus {
    try {
        $svc = Get-WmiObject -Class SoftwareLicensingService
        $null = $svc.RefreshLicenseStatus()
    } catch { }
}

function Invoke-InstallKey($Request) {
    if (-not $Secret) { return New-Failure 'args' 'no product key on stdin line 4' }
    $key = $Secret.Trim().ToUpperInvariant()
    if ($key -notmatch '^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$') {
        return New-Failure 'args' 'the product key on stdin is not five groups of five characters'
    }
    try {
        $svc = Get-WmiObject -Class SoftwareLicensingService
        # Through WMI, never slmgr /ipk, so the key is on no process's command line.
        $null = $svc.InstallProductKey($key)
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    Update-LicenseStatus
    return New-Success ([ordered]@{ partialProductKey = $key.Substring($key.Length - 5) })
}

function Invoke-Activate($Request) {
    $id = Get-Arg $Request 'activationId'
    if (-not (Test-Guid $id)) { return New-Failure 'args' 'activationId is not a GUID' }
    $id = $id.ToLowerInvariant()
    try {
        $product = @(Get-WmiObject -Class SoftwareLicensingProduct -Filter "ID='$id'")
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    if ($product.Count -eq 0) { return New-Failure 'not-found' ("no SoftwareLicensingProduct with ID " + $id) }
    try {
        $null = $product[0].Activate()
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    Update-LicenseStatus
    try {
        $after = @(Get-WmiObject -Class SoftwareLicensingProduct -Filter "ID='$id'" -Property @('ID', 'LicenseStatus', 'LicenseStatusReason'))
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    if ($after.Count -eq 0) { return New-Failure 'not-found' ("SoftwareLicensingProduct " + $id + " vanished after activation") }
    $status = Get-LicenseStatusName $after[0].LicenseStatus
    if ($status -eq 'licensed') {
        return New-Success ([ordered]@{ activationId = $id; licenseStatus = $status })
    }
    # Activate() can return without error yet leave the product unlicensed; the reason HResult
    # (0xC004F074 and friends) is what slmgr would have shown.
    $reason = $null
    try { $reason = $after[0].LicenseStatusReason } catch { }
    $code = 'not-licensed'
    if ($null -ne $reason -and [long]$reason -ne 0) { $code = Format-HResult ([long]$reason) }
    return New-Failure $code ("activation finished but the license status is " + $status)
}

# Phone activation. OfflineInstallationId is what `slmgr /dti <ID>` shows; it exists only once a
# key is installed on the product.
function Get-LicensingProduct([string]$Id, [string[]]$Properties) {
    return @(Get-WmiObject -Class SoftwareLicensingProduct -Filter "ID='$Id'" -Property $Properties)
}

function Invoke-InstallationId($Request) {
    $id = Get-Arg $Request 'activationId'
    if (-not (Test-Guid $id)) { return New-Failure 'args' 'activationId is not a GUID' }
    $id = $id.ToLowerInvariant()
    try {
        $product = Get-LicensingProduct $id @('ID', 'PartialProductKey', 'OfflineInstallationId')
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    if ($product.Count -eq 0) { return New-Failure 'not-found' ("no SoftwareLicensingProduct with ID " + $id) }
    if (-not (ConvertTo-NullIfEmpty $product[0].PartialProductKey)) {
        return New-Failure 'no-key' ("no product key is installed for " + $id + "; install the key first")
    }
    $iid = ConvertTo-NullIfEmpty $product[0].OfflineInstallationId
    if ($null -eq $iid) { return New-Failure 'no-key' ("Windows gives no installation ID for " + $id) }
    return New-Success ([ordered]@{ activationId = $id; installationId = [string]$iid })
}

function Invoke-DepositConfirmation($Request) {
    $id = Get-Arg $Request 'activationId'
    if (-not (Test-Guid $id)) { return New-Failure 'args' 'activationId is not a GUID' }
    $id = $id.ToLowerInvariant()
    if (-not $Secret) { return New-Failure 'args' 'no confirmation ID on stdin line 4' }
    $cid = ($Secret -replace '[\s-]', '')
    if ($cid -notmatch '^\d{48}$') { return New-Failure 'args' 'the confirmation ID on stdin is not 48 digits' }
    try {
        $product = Get-LicensingProduct $id @('ID', 'PartialProductKey', 'OfflineInstallationId')
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    if ($product.Count -eq 0) { return New-Failure 'not-found' ("no SoftwareLicensingProduct with ID " + $id) }
    $iid = ConvertTo-NullIfEmpty $product[0].OfflineInstallationId
    if ($null -eq $iid) { return New-Failure 'no-key' ("no product key is installed for " + $id + "; install the key first") }
    try {
        # The same WMI method `slmgr /atp` ends in.
        $null = $product[0].DepositOfflineConfirmationId([string]$iid, $cid)
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    Update-LicenseStatus
    try {
        $after = Get-LicensingProduct $id @('ID', 'LicenseStatus', 'LicenseStatusReason')
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    if ($after.Count -eq 0) { return New-Failure 'not-found' ("SoftwareLicensingProduct " + $id + " vanished after the deposit") }
    $status = Get-LicenseStatusName $after[0].LicenseStatus
    if ($status -eq 'licensed') {
        return New-Success ([ordered]@{ activationId = $id; licenseStatus = $status })
    }
    $reason = $null
    try { $reason = $after[0].LicenseStatusReason } catch { }
    $code = 'not-licensed'
    if ($null -ne $reason -and [long]$reason -ne 0) { $code = Format-HResult ([long]$reason) }
    return New-Failure $code ("the confirmation ID was deposited but the license status is " + $status)
}

function Invoke-Restart($Request) {
    $delay = Get-Arg $Request 'delaySeconds'
    $reason = Get-Arg $Request 'reason'
    $n = 0
    if ($null -eq $delay -or -not [int]::TryParse([string]$delay, [ref]$n) -or $n -lt 0 -or $n -gt 315360000) {
        return New-Failure 'args' 'delaySeconds must be an integer from 0 to 315360000'
    }
    # The reason lands inside a quoted argument and in the event log: no quotes, no control
    # characters, and shutdown.exe rejects comments over 512 characters.
    $clean = ([string]$reason) -replace '["\p{Cc}]', ' '
    $clean = ($clean -replace '\s+', ' ').Trim()
    if ($clean.Length -gt 500) { $clean = $clean.Substring(0, 500) }
    if (-not $clean) { $clean = 'esuctl' }
    $clean = $clean.TrimEnd('\')

    try {
        $lastBoot = Get-LastBootTime
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    $shutdown = Join-Path $env:windir 'System32\shutdown.exe'
    # p:2:17 = planned, Operating System: Hot fix.
    $r = Invoke-Program $shutdown ('/r /t ' + $n + ' /d p:2:17 /c "' + $clean + '"') 60
    if ($r.timedOut) { return New-Failure 'internal' 'shutdown.exe did not return' }
    if ($r.exitCode -ne 0) {
        $text = ($r.stdout + $r.stderr).Trim()
        if (-not $text) { $text = 'shutdown.exe exited with ' + $r.exitCode }
        return New-Failure (Format-HResult $r.exitCode) $text
    }
    return New-Success ([ordered]@{ scheduled = $true; lastBootUpTime = $lastBoot })
}

# Hyper-V: the host's virtual machines and what each one's KVP integration service reports
# (Msvm_KvpExchangeComponent.GuestIntrinsicExchangeItems, one CIM-XML INSTANCE per item). A VM
# that is off or has no KVP data is listed with items = null, never dropped.
function ConvertFrom-KvpItem([string]$Xml) {
    $doc = [xml]$Xml
    $name = $null
    $data = $null
    foreach ($p in @($doc.SelectNodes('/INSTANCE/PROPERTY'))) {
        $v = $p.SelectSingleNode('VALUE')
        if ($null -eq $v) { continue }
        $n = $p.GetAttribute('NAME')
        if ($n -eq 'Name') { $name = [string]$v.InnerText }
        if ($n -eq 'Data') { $data = [string]$v.InnerText }
    }
    if ($null -eq $name) { return $null }
    return [ordered]@{ name = $name; data = $data }
}

function Invoke-ListGuests($Request) {
    try {
        $os = Get-WmiObject -Class Win32_OperatingSystem
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    $hostName = [string]$os.CSName
    if (-not $hostName) { $hostName = [string]$env:COMPUTERNAME }
    $hostRecord = [ordered]@{
        computerName = $hostName
        osName       = ([string]$os.Caption).Trim()
        osVersion    = [string]$os.Version
    }
    try {
        $systems = @(Get-WmiObject -Namespace 'root\virtualization\v2' -Class Msvm_ComputerSystem)
        $components = @(Get-WmiObject -Namespace 'root\virtualization\v2' -Class Msvm_KvpExchangeComponent)
    } catch {
        return New-FailureFromException $_.Exception 'wmi'
    }
    $kvpBySystem = @{}
    foreach ($c in $components) { $kvpBySystem[[string]$c.SystemName] = $c }
    $guests = New-Object Collections.ArrayList
    foreach ($vm in $systems) {
        # The host's own Msvm_ComputerSystem is named after the computer; a VM's Name is its GUID.
        # (Caption is localized, so it cannot tell them apart.)
        if (-not (Test-Guid ([string]$vm.Name))) { continue }
        $items = $null
        $kvp = $kvpBySystem[[string]$vm.Name]
        if ($null -ne $kvp) {
            $raw = @($kvp.GuestIntrinsicExchangeItems | Where-Object { $_ })
            if ($raw.Count -gt 0) {
                $list = New-Object Collections.ArrayList
                foreach ($x in $raw) {
                    $item = $null
                    try { $item = ConvertFrom-KvpItem ([string]$x) } catch { $item = $null }
                    if ($null -ne $item) { $null = $list.Add($item) }
                }
                $items = @($list.ToArray())
            }
        }
        $null = $guests.Add([ordered]@{
            name         = [string]$vm.ElementName
            enabledState = [int]$vm.EnabledState
            items        = $items
        })
    }
    return New-Success ([ordered]@{ host = $hostRecord; guests = @($guests.ToArray()) })
}

# ---------------------------------------------------------------------------------------------
# Dispatch

$result = $null
try {
    $request = $null
    try {
        $request = ConvertFrom-Json -InputObject $RequestJson
    } catch {
        $request = $null
    }
    if ($null -eq $request -or -not $request.PSObject.Properties['verb']) {
        $result = New-Failure 'protocol' 'the request is not a JSON object with a verb'
    } else {
        $script:Verb = [string]$request.verb
        switch -CaseSensitive ($script:Verb) {
            'collect' { $result = Invoke-Collect $request }
            'install-package' { $result = Invoke-InstallPackage $request }
            'install-key' { $result = Invoke-InstallKey $request }
            'activate' { $result = Invoke-Activate $request }
            'restart' { $result = Invoke-Restart $request }
            'installation-id' { $result = Invoke-InstallationId $request }
            'deposit-confirmation' { $result = Invoke-DepositConfirmation $request }
            'list-guests' { $result = Invoke-ListGuests $request }
            default { $result = New-Failure 'protocol' ('unknown verb: ' + $script:Verb) }
        }
    }
} catch {
    $code = Get-ErrorCode $_.Exception
    if ($null -eq $code) { $code = 'internal' }
    $text = (Get-ErrorText $_.Exception)
    if ($_.InvocationInfo) { $text = $text + ' (agent line ' + $_.InvocationInfo.ScriptLineNumber + ')' }
    $result = New-Failure $code $text
}

try {
    Write-Envelope -Ok $result.ok -Data $result.data -Code $result.code -Text $result.text
} catch {
    # Last resort, with nothing that could fail again: the controller must always get one envelope.
    $fallback = '{"protocol":1,"agent":"' + $AgentVersion + '","verb":null,"ok":false,"data":null,"error":{"code":"internal","text":"reply could not be serialized"}}'
    $b = [Text.Encoding]::UTF8.GetBytes($fallback)
    $o = [Console]::OpenStandardOutput()
    $o.Write($b, 0, $b.Length)
    $o.Flush()
    exit 1
}
if ($result.ok) { exit 0 }
exit 1
