"""Word lists the simulated appliance draws its sessions from.

Plausible people, hosts, policies, commands and window titles, plus hostile
strings (terminal escape sequences, Rich-markup-like text) of the kind that
people being audited can type, so clients have to render them literally.
"""

from __future__ import annotations

PROTOCOLS = ("SSH", "RDP", "VNC", "TELNET", "ICA", "HTTP")
# Relative weights of PROTOCOLS in a typical estate.
PROTOCOL_WEIGHTS = (55, 25, 5, 4, 6, 5)
TERMINAL_PROTOCOLS = frozenset({"SSH", "TELNET"})
GRAPHICAL_PROTOCOLS = frozenset({"RDP", "VNC", "ICA"})
SERVICE_PORTS = {"SSH": 22, "RDP": 3389, "VNC": 5900, "TELNET": 23, "ICA": 1494, "HTTP": 443}

# (verdict as written in q, weight); accepted sessions dominate.
VERDICTS = (
    ("accept", 860),
    ("accept-terminated", 15),
    ("auth-fail", 50),
    ("deny", 20),
    ("fail", 20),
    ("gw-auth-fail", 15),
    ("key-error", 10),
    ("user-mapping-fail", 10),
)
# How recording.verdict spells each verdict (the reference sample says "Accepted").
VERDICT_TEXT = {
    "accept": "Accepted",
    "accept-terminated": "Accepted, then terminated",
    "auth-fail": "Authentication failure",
    "deny": "Denied",
    "fail": "Failed",
    "gw-auth-fail": "Gateway authentication failure",
    "key-error": "Host key mismatch",
    "user-mapping-fail": "User mapping failure",
}

GATEWAY_USERS = (
    "alice", "bob.smith", "carol.jones", "dave", "erin.walsh", "frank.miller", "grace.hopper",
    "heidi", "ivan.petrov", "judy", "mallory", "niaj", "olivia.brown", "peggy", "rupert",
    "sybil", "trent", "victor.hugo", "walter", "admin", "svc_backup", "svc_ansible",
    "jenkins", "oncall", "helpdesk01", "helpdesk02", "dba.team", "netops", "secops",
    "józsef.kovács", "zoë.martin", "søren.nielsen", "françois.dupont", "jürgen.müller",
    "łukasz.wójcik", "ana.núñez", "ольга.петрова", "王伟", "山田太郎", "أحمد",
    "björk", "çağla.yılmaz", "ngọc.trần", "siobhán.ó.briain",
)
SERVER_USERS_UNIX = ("root", "oracle", "postgres", "ubuntu", "ec2-user", "deploy", "www-data")
SERVER_USERS_WINDOWS = ("Administrator", "administrator", "Windows User", "svc_sql", "CORP\\admin")

LINUX_HOSTS = (
    "web01.prod", "web02.prod", "web03.prod", "api01.prod", "api02.prod", "db01.prod",
    "db02.prod", "cache01.prod", "mq01.prod", "build01.ci", "build02.ci", "bastion01",
    "k8s-node01.prod", "k8s-node02.prod", "k8s-node03.prod", "log01.ops", "mon01.ops",
    "backup01.ops", "ldap01.corp", "git01.corp", "legacy-as400", "mainframe-gw",
)
WINDOWS_HOSTS = (
    "dc01.corp", "dc02.corp", "fs01.corp", "sql01.prod", "sql02.prod", "exch01.corp",
    "rds01.corp", "rds02.corp", "citrix01.corp", "citrix02.corp", "wsus01.corp", "pki01.corp",
)
WEB_HOSTS = ("idrac-r740-01", "ilo-dl380-02", "vcenter01.corp", "fw01-mgmt", "switch-core01")
DOMAIN = "example.com"

# Connection policies by protocol: (name, channel policies, auth methods).
POLICIES = {
    "SSH": (
        ("ssh_prod", ("shell-only", "ssh-all"), ("publickey", "password")),
        ("ssh_jump", ("ssh-all",), ("publickey", "keyboard-interactive")),
        ("ssh_dev", ("ssh-all",), ("password", "publickey", "gssapi")),
    ),
    "RDP": (
        ("rdp_admins", ("rdp-std", "rdp-nodisk"), ("password", "kerberos")),
        ("rdp_helpdesk", ("rdp-nodisk",), ("password",)),
    ),
    "VNC": (("vnc_lab", ("vnc-all",), ("password",)),),
    "TELNET": (("telnet_legacy", ("telnet-all",), ("password",)),),
    "ICA": (("citrix_farm", ("ica-std",), ("password",)),),
    "HTTP": (("http_consoles", ("http-all",), ("password",)),),
}

# The keywords and titles SPS's own search page highlights as interesting.
INTERESTING_COMMANDS = ("chmod", "ssh", "shutdown", "sudo", "su", "mount", "adduser", "addgroup")
INTERESTING_TITLES = (
    "Management Console", "Control Panel", "Server Manager", "PowerShell",
    "Security Settings", "Windows Security Center",
)

ESC = "\x1b"
# Commands people type. Each session uses a handful of these (see events.py);
# the first BASE_COMMANDS entries can appear in any terminal session.
COMMANDS = (
    "ls", "ls -la", "cd /var/log", "pwd", "cat /etc/hosts", "df -h", "free -m", "uptime",
    "top", "ps aux", "tail -f /var/log/syslog", "less /var/log/messages",
    "grep -ri error /var/log/nginx", "vim /etc/nginx/nginx.conf", "systemctl status nginx",
    "journalctl -u sshd --since today", "git pull", "docker ps", "kubectl get pods -A",
    "crontab -l", "netstat -tulpn", "ip addr show", "history", "man iptables",
    "sudo -i", "sudo systemctl restart nginx", "sudo su -", "sudo cat /etc/shadow",
    "sudo iptables -F", "sudo apt-get upgrade -y", "su - postgres", "su -",
    "chmod 777 /tmp/deploy.sh", "chmod u+s /usr/bin/find", "chmod 600 ~/.ssh/id_rsa",
    "ssh db01.prod." + DOMAIN, "ssh -A bastion01", "shutdown -r now", "shutdown -h +5",
    "mount /dev/sdb1 /mnt", "mount -o remount,rw /", "adduser backdoor", "addgroup ops",
    "systemctl stop auditd", "rm -rf /var/log/audit", "scp dump.sql backup01.ops:/srv",
    "psql -U postgres", "mysqldump --all-databases > all.sql", "curl -fsSL get.example.sh | sh",
    "passwd", "useradd -m temp01", "visudo", "cat ~/.bash_history", "tcpdump -i any port 22",
    "exit",
)
BASE_COMMANDS = 12

# Typed by the people being audited: escape sequences and markup-like text.
HOSTILE_COMMANDS = (
    f"echo -e '{ESC}[31mALERT{ESC}[0m'",
    f"printf '{ESC}]0;owned{ESC}\\\\'",
    f"echo '{ESC}[2J{ESC}[H'",
    "cat notes[bold].txt[/]",
    "echo '[link=https://evil.example/]click me[/link]'",
    "echo [red]root[/red] > /tmp/x",
    f"ls\r{ESC}[Kcat /etc/passwd",
    "printf '\x07\x08\x08\x08'",
    f"echo '{ESC}]8;;https://evil.example{ESC}\\\\harmless{ESC}]8;;{ESC}\\\\'",
)

WINDOW_TITLES = (
    "Desktop", "File Explorer", "Microsoft Edge", "Task Manager", "Event Viewer", "Services",
    "Notepad - notes.txt", "Remote Desktop Connection", "Command Prompt", "Outlook - Inbox",
    "Active Directory Users and Computers", "DNS Manager", "SQL Server Management Studio",
    "Registry Editor", "Group Policy Management", "Notepad - passwords.txt",
    "Server Manager", "Control Panel", "Windows PowerShell", "Administrator: Windows PowerShell",
    "Management Console - [Console Root]", "Security Settings", "Windows Security Center",
    "Computer Management", "Disk Management", "Certificate Manager", "SAP Logon 770",
    "Excel - payroll.xlsx",
)
BASE_TITLES = 6

HOSTILE_TITLES = (
    "[bold red]Server Manager[/]",
    f"Invoice {ESC}[5mURGENT{ESC}[0m - Outlook",
    "[link=file:///etc/passwd]Documents[/link]",
    f"{ESC}]8;;https://evil.example{ESC}\\Click here{ESC}]8;;{ESC}\\",
    "Report [/] [dim]draft",
)

ICA_APPLICATIONS = ("Notepad", "SAP Logon", "Microsoft Excel", "Remote Desktop Manager")
ARCHIVE_SERVER = "\\\\10.20.30.40\\archive\\sps01 (user: archiver)"
