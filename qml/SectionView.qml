import QtQuick
import QtQuick.Controls

// One of the top-level sections (places, contacts, profile, node, settings) by name.
Loader {
    id: section
    required property var shell
    required property string name
    // In the wide layout the place list is always on the left, so "places" shows a hint instead.
    property bool placesAsHint: false

    sourceComponent: name === "contacts" ? contacts
                   : name === "profile" ? profile
                   : name === "node" ? node
                   : name === "settings" ? settings
                   : placesAsHint ? hint : places
    Component { id: places; PlacesPage { shell: section.shell } }
    Component { id: contacts; ContactsPage { shell: section.shell } }
    Component { id: profile; ProfilePage { shell: section.shell } }
    Component { id: node; NodePage { shell: section.shell } }
    Component { id: settings; SettingsPage { shell: section.shell } }
    Component { id: hint; Page { EmptyState { anchors.centerIn: parent; width: parent.width; text: qsTr("Choose a place on the left, or create one.") } } }
}
