import SSHTransport
import Inventory
