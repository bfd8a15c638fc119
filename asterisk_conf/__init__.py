"""The Asterisk configuration callcenter ships: dialplan contexts, the AMI account, modules, music on hold.

``callcenter asterisk-config`` renders it for a site (see README.md in this folder).
"""
